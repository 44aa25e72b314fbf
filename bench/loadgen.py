"""An open-loop HTTP load generator: requests at a fixed rate, whatever the answers do.

    python bench/loadgen.py --base-url http://127.0.0.1:8000 --kind sms --rate 20 --duration 10

Request i leaves at t0 + i/rate on its own connection (asyncio, standard library only), so a slow
server does not slow the offered load down; its latency is measured from the moment it was
SCHEDULED to leave to the end of the answer (no coordinated omission). Prints one JSON object:
throughput, status counts, errors, and latency percentiles.

Kinds:
  get    GET --path
  post   POST --path with a small form (the bare insert endpoint)
  sms    POST /twilio/sms: Twilio's SMS webhook form, signed with --auth-token, a distinct
         MessageSid, sender and flat each (--phones-out lists the senders, one per line)
  voice  POST /twilio/voice: the first step of an incoming call, signed, a distinct CallSid each
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.parse
from collections import Counter

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
HOTLINE_NUMBER = "+14155550100"
NEEDS = ["需要买菜，大米两袋、鸡蛋一盒，谢谢", "需要药 降压药 明天吃完", "I need food please, rice and milk",
         "老人独居，需要帮忙买菜", "need medicine: insulin, runs out tomorrow"]


def signature(token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted form, base64 (as Twilio computes it)."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


FLATS_PER_SERIES = 10_000  # more than one step of a ladder sends: a series names flats no other of the next 34 names


def flat(k: int) -> tuple[int, str]:
    """The k-th of 352,836 flats (36 buildings, floors 1-99, rooms 01-99 on each); past the last, the first again."""
    building, rest = k % 36 + 1, k // 36
    return building, f"{rest % 99 + 1}{rest // 99 % 99 + 1:02d}"


def sms_form(i: int, phone: str, series: int = 0) -> dict[str, str]:
    """The i-th SMS of a series: a whole request for a flat that no earlier SMS of the series, nor of the 34 before
    it, named, so each files a request of its own (a second need for a flat with one open would be folded into it)."""
    sid = "SM" + secrets.token_hex(16)
    building, room = flat(series * FLATS_PER_SERIES + i)
    return {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": f"{building}号楼{room}室 {NEEDS[i % len(NEEDS)]}", "FromCountry": "CN", "To": HOTLINE_NUMBER,
            "ToZip": "94105", "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": phone,
            "ApiVersion": "2010-04-01"}


def voice_form(i: int, phone: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": "CA" + secrets.token_hex(16),
            "CallStatus": "ringing", "Called": HOTLINE_NUMBER, "CalledCountry": "US", "Caller": phone,
            "CallerCountry": "CN", "Direction": "inbound", "From": phone, "FromCountry": "CN", "To": HOTLINE_NUMBER,
            "ToCountry": "US"}


def build(args, i: int) -> tuple[bytes, str]:
    """The raw HTTP request number i, and the sender it uses (if any)."""
    url = urllib.parse.urlsplit(args.base_url)
    host = url.netloc
    phone = f"+86137{args.series:03d}{i:05d}"
    if args.kind == "get":
        return f"GET {args.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(), ""
    headers = {}
    if args.kind == "post":
        form = {"text": f"row {i} " + NEEDS[i % len(NEEDS)]}
    else:
        form = sms_form(i, phone, args.series) if args.kind == "sms" else voice_form(i, phone)
        headers["X-Twilio-Signature"] = signature(args.auth_token, args.base_url.rstrip("/") + args.path, form)
    body = urllib.parse.urlencode(form).encode()
    head = (f"POST {args.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
    return head.encode() + body, phone


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def run(args, raw: list[bytes]) -> dict:
    url = urllib.parse.urlsplit(args.base_url)
    host, port = url.hostname, url.port or 80
    loop = asyncio.get_running_loop()
    results: list[tuple[int, float, float, str]] = []  # status, latency from schedule, service time, error
    inflight = 0

    async def one(i: int, scheduled: float) -> None:
        nonlocal inflight
        inflight += 1
        start = loop.time()
        status, error, writer = 0, "", None
        try:
            async with asyncio.timeout(args.timeout):
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(raw[i])
                data = await reader.read()
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
            error = "" if status else "no HTTP answer"
        except TimeoutError:
            error = "timeout"
        except OSError as e:
            error = type(e).__name__
        finally:
            if writer is not None:
                writer.close()
            inflight -= 1
        end = loop.time()
        results.append((status, end - scheduled, end - start, error))

    tasks = []
    t0 = loop.time() + 0.1
    for i in range(len(raw)):
        scheduled = t0 + i / args.rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if inflight >= args.max_inflight:
            results.append((0, 0.0, 0.0, "client saturated"))
            continue
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    wall = loop.time() - t0
    ok = [r for r in results if 200 <= r[0] < 300]
    latencies = sorted(r[1] * 1000 for r in ok)
    service = sorted(r[2] * 1000 for r in ok)
    statuses = Counter(str(r[0]) for r in results if r[0])
    errors = Counter(r[3] or f"HTTP {r[0]}" for r in results if not 200 <= r[0] < 300)
    return {
        "kind": args.kind, "path": args.path, "offered_rate": args.rate, "duration": args.duration,
        "sent": len(raw), "ok": len(ok), "errors": sum(errors.values()), "statuses": dict(statuses),
        "error_kinds": dict(errors), "wall_s": round(wall, 3), "throughput": round(len(ok) / max(wall, 1e-9), 2),
        "p50_ms": _round(percentile(latencies, 50)), "p90_ms": _round(percentile(latencies, 90)),
        "p99_ms": _round(percentile(latencies, 99)), "max_ms": _round(latencies[-1] if latencies else None),
        "service_p50_ms": _round(percentile(service, 50)), "service_p99_ms": _round(percentile(service, 99)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="also the URL signatures are computed against")
    parser.add_argument("--kind", choices=("get", "post", "sms", "voice"), required=True)
    parser.add_argument("--path", help="default: / for get and post, /twilio/sms, /twilio/voice")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    parser.add_argument("--auth-token", default="", help="Twilio auth token the webhooks are signed with")
    parser.add_argument("--series", type=int, default=0, help="0-999: senders of different runs never meet")
    parser.add_argument("--phones-out", help="write the senders used here, one per line")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds (Twilio gives up at 15)")
    parser.add_argument("--max-inflight", type=int, default=800)
    args = parser.parse_args(argv)
    args.path = args.path or {"sms": "/twilio/sms", "voice": "/twilio/voice"}.get(args.kind, "/")
    count = max(1, int(round(args.rate * args.duration)))
    if args.kind == "sms" and count > FLATS_PER_SERIES:
        parser.error(f"at most {FLATS_PER_SERIES:,} SMS per series (each names a flat of its own)")
    built = [build(args, i) for i in range(count)]
    if args.phones_out:
        with open(args.phones_out, "w", encoding="utf-8") as f:
            f.write("".join(phone + "\n" for _, phone in built if phone))
    started = time.time()
    result = asyncio.run(run(args, [raw for raw, _ in built]))
    result["started_at"] = started
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
