"""CSV cells a spreadsheet never runs as formulas (OWASP's rule), and that import back as written."""

from __future__ import annotations

import csv
import io

import pytest

from hotline.domain.spreadsheet import cell, to_csv, uncell

FORMULAS = [
    "-2+3+cmd|' /C calc'!A0",
    "+1+HYPERLINK(\"http://evil.example\",\"click\")",
    "=1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "-1",
    "+8613800138000\n",  # a phone number, and something more
    "+8613800138000+cmd|' /C calc'!A0",
    "+86 138 0013 8000",
    "+123456",  # too short for a phone number
    "+1234567890123456",  # too long
    "+٨٦١٣٨٠٠١٣٨٠٠٠",  # other digits than 0-9
    "-8613800138000",
]

PHONES = ["+8613800138000", "+862160001234", "+14155550100", "+1234567"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_could_start_a_formula_gets_a_leading_quote(value):
    assert cell(value) == "'" + value


@pytest.mark.parametrize("value", PHONES)
def test_a_cell_that_is_a_phone_number_in_e164_and_nothing_else_is_written_as_it_is(value):
    assert cell(value) == value  # Excel and LibreOffice would show a CSV's leading quote


@pytest.mark.parametrize("value", ["Li Wei", "12-302", "李伟", "", "zh;en", "#12 #13", "'quoted"])
def test_other_cells_are_written_as_they_are(value):
    assert cell(value) == value


def test_numbers_and_empty_values_are_written_plainly():
    assert (cell(12), cell(None), cell(3.5)) == ("12", "", "3.5")


@pytest.mark.parametrize("value", [*FORMULAS, *PHONES, "Li Wei", "'quoted", "''=1"])
def test_a_written_cell_reads_back_as_the_value(value):
    assert uncell(cell(value)) == value


def test_every_row_of_a_file_is_escaped():
    text = to_csv(("name", "phone"), [("=cmd", "+8613900000121"), ("Li Wei", "")])
    assert list(csv.reader(io.StringIO(text))) == [["name", "phone"], ["'=cmd", "+8613900000121"], ["Li Wei", ""]]
