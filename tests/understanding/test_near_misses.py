"""Messages that share the surface of a rule's words and must not be read by it, and messages a rule must still
read where other words stand beside it: found by probing the rules of dev_55 and dev_56 with wordings of their
own, and the rules of dev_58 to dev_60 (read without a database, as tests/understanding/fast.py reads the exams)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.understanding import fast
from tests.understanding.harness import Line, load

# Look-alikes written against the rules read from read_67 to read_71 (tests/data/exams/dev_67.jsonl,
# read_68_review.jsonl to read_71_review.jsonl): the lines whose kind (and a need's urgency) the hotline reads as their
# dispatcher does, which no later rule may lose; the others are known misses.
EXAMS = Path(__file__).resolve().parents[1] / "data" / "exams"
READ_AS_LABELLED = {
    "dev_67.jsonl": (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 28, 30, 31, 32,
                     33, 34, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
                     60),
    "read_68_review.jsonl": (1, 3, 4, 6, 7, 8, 9, 11, 13, 17, 18, 19, 22, 23, 24, 25, 26, 28, 29, 31, 32, 33, 34, 35,
                             36, 37, 38, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
                             60),
    "read_69_review.jsonl": (2, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17, 19, 21, 22, 23, 26, 29, 30, 31, 32, 33, 34, 35,
                             36, 38, 39, 41, 42, 44, 45, 46, 47, 49, 50),
    "read_70_review.jsonl": (4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 22, 24, 25, 26, 27, 30, 32, 33, 34,
                             35, 36, 37, 38, 39, 41, 42, 43, 44, 45, 46, 47, 49, 50),  # 23: exams/README.md, read_73
    "read_71_review.jsonl": (1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25, 27, 28, 29,
                             30, 31, 33, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49),
}
LOOK_ALIKES = {name: load(EXAMS / name) for name in READ_AS_LABELLED}

# (who sends it, the message, the kind a dispatcher gives it, whether urgent: None where it is no need)
NEAR_MISSES = [
    # a review of the stop's rules read from read_67 to read_69: a set-aside must not run past a comma or a "today",
    # a word of the new rows must not hold a snack, a queue, a lift or an idiom
    ("new", "Shukriya pichle hafte ke liye. Aaj dadi gir gayi aur behosh hai, papa bilkul theek hain. B-26 flat 1001",
     "emergency", True),
    ("new", "万一半夜心脏不舒服怎么办啊，我家老头这会儿胸口闷得透不过气，满头冷汗，15号楼403，快来人",
     "emergency", True),
    ("new", "吓死我 阿嫲冇晒知觉 而家冇事吗 17座907", "emergency", True),
    ("new", "Pensé que era un infarto pero era solo ansiedad, y luego se desmayó y no responde, edificio 3 depto 201",
     "emergency", True),
    ("new", "個仔食晒成盒薯片 好開心 多謝你哋", "thanks", None),
    ("new", "降压药存了两个月的量 够吃了 谢谢", "thanks", None),
    ("new", "Hindi gumagalaw ang pila sa PCR, ang haba na ng pila. Anong oras po matatapos?", "question", None),
    ("new", "가슴이 찢어질 것 같아요 가족이 너무 보고 싶어요 봉쇄 언제 끝나요?", "question", None),
    ("new", "Meu filho não acorda nem com despertador, vocês entregam à tarde?", "question", None),
    ("new", "Anak saya tinggal malam ini di rumah neneknya, jadi besok saja antar sayurnya. Gedung 3 unit 1204", "need",
     False),
    ("resident", "Teşekkürler ama ekmek hâlâ gelmedi, dünden beri bekliyoruz", "need", None),
    ("resident", "Shukriya, aur ek packet doodh bhi bhej dijiye", "need", False),
    # an emergency asked as a question, in languages read in part, is an emergency (dev_64)
    ("new", "¿Cuándo viene la ambulancia? Mi abuelo está tirado en el suelo y no se mueve", "emergency", True),
    ("new", "Kiedy będzie karetka? Tata nie reaguje, ma drgawki", "emergency", True),
    ("new", "bé nhà tôi nuốt phải đồng xu, đang ho sặc sụa, tòa 9 phòng 201", "emergency", True),
    ("new", "Mamma ha le labbra blu e non respira quasi, palazzina 3 interno 402", "emergency", True),
    # a review of read_64's rules by look-alikes: ordinary lines their words must not hold, grave ones their
    # set-asides must not hide
    ("new", "Tháng ba bé nhà tôi nuốt phải viên pin, đã được bác sĩ lấy ra, bé khỏe mạnh rồi. Giờ chỉ cần mua pin"
            " tiểu cho xe đồ chơi và tã size L. tòa 30 phòng 2204", "need", False),
    ("new", "ติดประชุมออนไลน์ทั้งวัน ลุกไม่ได้เลยค่ะ ช่วยซื้อไข่กับนมมาวางไว้หน้าห้องให้หน่อยได้ไหมคะ"
            " ตึก 7 ห้อง 1203", "need", False),
    ("new", "単三電池と食べ物を少し届けてもらえますか。急ぎません。8号棟503", "need", False),
    ("new", "Não tem água quente desde ontem, acho que o aquecedor queimou. Alguém pode vir ver?"
            " prédio 8 apto 603", "need", False),
    ("new", "El coche de mi hermano lleva un mes tirado en el parking y no se mueve, ¿se puede sacar del complejo"
            " para ir a comprar?", "question", None),
    ("new", "نزل الماء من سقف الحمام طول الليل، نحتاج سباك لو سمحتم، المبنى 5 شقة 1101", "need", False),
    ("new", "Para po ito sa nanay ko, hindi makapagsalita ng Chinese kaya ako ang nagte-text. Kailangan niya ng bigas"
            " at itlog, building 15 room 1102", "need", False),
    ("new", "Il nostro carlino non respira bene col caldo, per lui è normale. Ci servirebbe cibo per cani, edificio"
            " 2 interno 906", "need", False),
    ("new", "Córka miała drgawki gorączkowe jako niemowlę, teraz ma 6 lat i jest zdrowa. Czy dzieci też muszą schodzić"
            " na testy PCR? budynek 3 m. 201", "question", None),
    ("new", "上礼拜发烧早就好了，就是昨夜睡落枕，脖子僵得低不下头，想买张伤湿止痛膏 9号楼1401", "need", False),
    ("new", "Unser Sohn hatte letztes Jahr einen Asthmaanfall, seitdem haben wir immer ein Reservespray. Das läuft"
            " nächsten Monat ab, könnte jemand ein neues besorgen? Gebäude 29 Wohnung 402", "need", False),
    ("asker", "De bezorger neemt zijn telefoon niet op, waar blijven mijn boodschappen?", "follow_up", None),
    ("new", "Ieri la nonna aveva la febbre, adesso ha le labbra viola e respira a fatica, non sta bene per niente,"
            " edificio 3 interno 1203 aiuto", "emergency", True),
    ("new", "Вчера вызывали врача к мужу, сегодня у него судороги, потерял сознание, я не знаю всё нормально ли это,"
            " корпус 5 кв 301", "emergency", True),
    ("new", "Hôm qua ông còn khỏe, sáng nay ông méo miệng, nói ngọng, tay phải không nhấc lên được, giờ không ổn rồi,"
            " giúp với! tòa 4 phòng 302", "emergency", True),
    ("new", "Спасибо что вчера помогли с бабушкой. Сейчас дедушка потерял сознание на кухне, хрипит, я думала всё"
            " нормально будет, корпус 5 кв 1203", "emergency", True),
    ("new", "Geçen hafta yardımınız için teşekkürler. Bu sabah annem banyoda düştü, kalkamıyor, ağzı kaymış, konuşması"
            " bozuk, şimdi iyi değil. bina 26 daire 901", "emergency", True),
    ("new", "Salamat po sa tulong noong isang linggo. Ngayon po si lola walang malay sa sahig, hindi humihinga nang"
            " maayos, si lolo okay lang po siya. bldg 12 rm 1501", "emergency", True),
    ("new", "我以为伊困觉没事，结果发现叫勿醒，呼吸声音老响，嘴唇发紫 15号楼1201", "emergency", True),
    ("new", "姆妈原来血压都正常，刚才吃饭突然嘴巴歪了，讲话讲勿清爽，右手拿勿牢碗 7号楼603", "emergency", True),
    ("new", "老公上个月摔跤医生看过说没事，现在婆婆在厕所晕倒了，叫不醒，5号楼1002", "emergency", True),
    ("new", "我叫自己不要紧张，原来好好的老爷子突然倒在地上抽筋，口吐白沫，现在还在抽 9号楼302", "emergency", True),
    ("new", "以为伊吃坏肚皮勿要紧，后来发现伊肚皮痛得打滚，"
            "一身冷汗，面孔煞白，讲勿出闲话了 28号楼502", "emergency", True),
    ("new", "la dernière fois j'ai cru que c'était rien, là il est par terre, il ne bouge plus et ne respire presque"
            " pas, bâtiment 31 appartement 1201", "emergency", True),
    # emergencies in words dev_65 asked for, and Chinese scares that ended well or worse
    ("new", "Tata upadł na schodach, nie może wstać, blok 3 mieszkanie 201", "emergency", True),
    ("new", "ابنتي ابتلعت بطارية صغيرة، مبنى 4 شقة 303", "emergency", True),
    ("new", "istri saya sudah mau melahirkan, ketuban pecah, gedung 8 kamar 402", "emergency", True),
    ("new", "父が転んで頭から血が止まらない、5号棟302", "emergency", True),
    ("new", "以为宝宝发烧了 结果体温计坏了 虚惊一场 想买个新体温计", "need", False),
    ("new", "刚才以为着火了 结果现在楼道里全是烟", "emergency", True),
    ("new", "naifenkuaichiwanle jintianwanshangjiumeile 5haolou302", "need", True),  # pinyin run together
    # a review of dev_65's rules by look-alikes: swallowing, labour and bleeding words of other moments, and scares
    # that ended well followed by an emergency now
    ("new", "أبي عنده صعوبة في بلع حبوب الضغط لأنها كبيرة، هل يمكن شراء نفس الدواء على شكل شراب أو حبوب أصغر؟ مبنى 11"
            " شقة 1004", "need", False),
    ("new", "بلعت حبة دواء للصداع الصبح وصرت أحسن الحمد لله، بس العلبة خلصت، ممكن أحد يجيب بنادول لما يكون عنده وقت؟ "
            "مبنى 3 شقة 402", "need", False),
    ("new", "سمعت أن طفل في المبنى 20 ابتلع بطارية صغيرة الأسبوع الماضي ونقلوه للمستشفى، هل هذا صحيح؟ لازم تحذرون الأ"
            "هالي", "rumour", None),
    ("new", "Istri saya akan melahirkan sekitar bulan Juni. Mau tanya, kalau nanti waktunya tiba bagaimana caranya iz"
            "in keluar ke rumah sakit selama lockdown?", "question", None),
    ("new", "Waktu hamil anak pertama ketuban pecah duluan, jadi sekarang saya agak khawatir. Tapi kandungan baru 6 b"
            "ulan, semua baik kata dokter. Boleh minta tolo"
            "ng belikan susu ibu hamil? gedung 22 kamar 501", "need", False),
    ("new", "bidan bilang nanti kalau kontraksi tiap 5 menit baru ke RS. Sekarang belum ada kontraksi sama sekali, cu"
            "ma mau tanya nomor ambulans yang bisa masuk kompleks untuk jaga-jaga", "question", None),
    ("asker", "Gaat er nog iemand mijn boodschappen halen? Ik "
            "wacht al sinds vanochtend en heb bijna niks meer", "follow_up", None),
    ("new", "以为阿拉老头子中风了 后来医生视频看过讲没事 虚惊一场。隔壁1203的张阿姨倒在走廊里 叫伊伊勿应 嘴巴边上全是"
            "白沫 12号楼", "emergency", True),
    ("new", "吓死了 以为煤气漏了 结果是邻居在烧菜 虚惊一场。楼下902窗户里冒黑烟 看得到火苗 8号楼", "emergency", True),
    ("new", "吓死我了 老公从梯子上摔下来 后脑勺着地 后来一直吐"
            " 喊他没事吧 他就嗯一声 眼睛睁不开 21号楼603", "emergency", True),
    ("new", "以为宝宝是普通发烧 吃了退烧药以为没事 结果体温"
            "40度下不来 手脚一直抽 叫伊勿应 26号楼402", "emergency", True),
    ("new", "以为阿婆走丢了 后来在地下车库找到了 人躺在地上 浑身冰冷 叫伊呒没反应 30号楼", "emergency", True),
    ("new", "吓坏了 上次外婆晕倒是虚惊一场 这次真的倒在厨房 叫她没反应 呼吸很弱 6号楼302", "emergency", True),
    ("new", "吓得我 以为阿拉囡囡把纽扣电池吞下去了 后来在沙发底下找到了 虚惊一场。伊拉爷爷一激动 胸口痛 倒在沙发上 面"
            "孔煞白 出冷汗 28号楼 1603", "emergency", True),
    ("new", "吓煞我 以为伊拉屋里着火 结果是烧焦了一锅饭 一点事都没有。伊拉屋里老太太吓得心口痛 坐勿牢 讲话接勿上气 14"
            "号楼1004", "emergency", True),
    ("new", "laopoyangshuipole duzitongdelihai 4haolou1203 kuailai ambulance", "emergency", True),
    # crisis said obliquely in more languages (dev_66), and a story or a joke that only sounds like it
    ("new", "阳台好高啊 风也大 我想通了 你们别来找我", "crisis", None),
    ("new", "Kedimi komşuya verdim, artık kimseye yük olmak istemiyorum. Hoşça kalın.", "crisis", None),
    ("new", "Mandei a última mensagem para o meu filho. Não aguento mais. Obrigado por tudo, desculpem.",
     "crisis", None),
    ("new", "我刚看的韩剧里男主从楼顶跳下去了 哭死 请问明天几点做核酸", "question", None),
    ("new", "me voy a morir de calor jaja, ¿cuándo llega el agua del grupo?", "question", None),
    ("new", "Hoşça kalın, yarın ekmek lazım, blok 3 daire 201", "need", False),
    # a daily medicine gone tomorrow, in more languages, is urgent
    ("new", "明日の朝で母の薬が終わります。8号棟302", "need", True),
    ("new", "mummy ki BP ki dawai kal khatam ho jayegi, building 5 room 402", "need", True),
    ("new", "聽日就食完啲降壓藥 12座302", "need", True),
    # a review of read_66's cues by look-alikes: two cues of an ordinary day, and a farewell they must still read
    ("new", "안녕하세요 23동 1504호예요. 내일 수술 때문에 병원에 입원해요. 강아지는 옆집에서 일주일 맡아 주기로 했어"
            "요. 제가 없어도 강아지 사료 한 포대만 옆집 앞에 갖다 주실 수 있을까요?", "need", False),
    ("new", "4동 1101호. 내가 없어도 남편이 집에 있으니까 문 앞에 두시면 돼요. 우유는 더 이상 필요 없고요, 계란 한 판"
            "이랑 두부 두 모만 부탁드려요", "need", False),
    ("new", "سامحوني على كثرة الرسائل 🙈 زوجي رجع من الحجر اليوم وسيتسوق هو، لذلك لن أحتاج إلى الطعام بعد هذا الأسبوع"
            ". آخر طلب: كيس أرز ٥ كيلو وزيت، المبنى 2 شقة 305", "need", False),
    ("new", "Karantina bitti sonunda!! Yarın İstanbul'a uçuyorum, köpeğimi arkadaşım Mert'e bıraktım, o kargo ile get"
            "irecek. Her şey için çok teşekkürler gönüllüler, elveda Şanghay 🇹🇷❤️🇨🇳", "thanks", None),
    ("new", "Última mensagem do dia, juro kkk. Não aguento mais comer miojo, dá pra trazer legumes, ovos e um frango?"
            " Prédio 10 apto 702", "need", False),
    ("resident", "今天抗原我自己测了已经上传了，下午核酸要是时间冲突就别来找我。我坐在阳台上晒了一下午太阳，精神蛮好"
            "。请问明天还要不要下楼做？", "question", None),
    ("new", "짐 다 쌌어요! 내일 격리 해제돼서 이사 갑니다 ㅎㅎ 고양이는 친구가 새 집으로 먼저 데려가기로 했고요. 6동 "
            "802호 그동안 감사했습니다 🙏", "thanks", None),
    ("new", "Merhaba, 9. blok 1203. Kimseye yük olmak istemem ama market açık değil: 5 kilo pirinç, 2 şişe su ve bira"
            "z sebze lazım. Teşekkürler, hoşça kalın!", "need", False),
    ("new", "المبنى 16 شقة 402. قولوا لأبي إني أحبه وإنه لم يكن ذ"
            "نبه. لن أحتاج إلى الطعام بعد الليلة، لا تطرقوا الباب", "crisis", None),
    ("new", "ตึก 11 ห้อง 1704 ค่ะ ขอบคุณที่ช่วยเหลือมาตลอดนะคะ ยานอนหลับเก็บไว้พอแล้ว ของในห้องทั้งหมดยกให้ใครก็ได้เล"
            "ยค่ะ ไม่ต้องส่งข้าวมาอีกแล้ว", "crisis", None),
    ("new", "پچھلے سال بھی کوشش کی تھی، اس بار نہیں رکوں گا۔ سب کا قرض اتار دیا ہے، اب کسی پر بوجھ نہیں بنوں گا۔ آج ر"
            "ات کے بعد کھانا مت بھیجنا۔ بلڈنگ 8 کمرہ 1503", "crisis", None),
    # a review of the stop's code: a scare's set-aside starts at its own sentence, crisis words stand in a thanks, and
    # a thanks whose one is well now says no "but" after it
    ("new", "老伴胰岛素只剩一支了 12号楼302。昨天以为他低血糖，结果没事", "need", True),
    ("new", "我老公摔下楼梯 腿断了 动不了 12号楼302。 吓死了 后来没事的是我儿子", "emergency", True),
    ("new", "Thank you for last week. I want to die. Mum is home now.", "crisis", None),
    ("new", "Dziękuję za pomoc w zeszłym tygodniu, tata czuje się dobrze. Ale ja już nie daję rady, nikt by nie "
            "zauważył gdyby mnie nie było", "crisis", None),
    # a past emergency whose one is well now, in other languages: thanks, or the need beside it
    ("new", "спасибо, вчера папе было плохо с сердцем, сейчас всё нормально", "thanks", None),
    ("new", "Danke, letzte Woche ist Oma gestürzt, jetzt geht es ihr wieder gut", "thanks", None),
    ("new", "el mes pasado tuvo un infarto pero ya está bien, necesita sus pastillas para la presión, "
            "edificio 4 piso 2 puerta 1", "need", False),
    # a scare that turned out well is set aside; one that turned out worse is not
    ("new", "以为只是感冒 结果现在喘不上气 嘴唇发紫", "emergency", True),
    ("new", "Telefon mamy nie reaguje, chyba się rozładował. Budynek 5 mieszkanie 301", "grave", None),
    # a new emergency after thanks for a past one is an emergency
    ("resident", "Thank you for last week, Dad is fine now. Mum fell this morning and can't get up", "emergency", True),
    ("resident", "谢谢上次帮我妈叫救护车 她现在好多了 可是今天我爸又胸口痛 一身冷汗 喘不上气", "emergency", True),
    ("resident", "上趟阿拉姆妈跌跤 多亏侬叫人来 现在好交关了 谢谢", "thanks", None),
    # a plea to whoever reads, or hearsay passed on with a need of one's own, is not set aside
    ("new", "If anyone is reading this, my wife fell in the bathroom and can't get up, building 4 room 301",
     "emergency", True),
    ("new", "如果有人看到 请快来 我爸倒在地上叫不醒 7号楼501", "emergency", True),
    ("new", "Somebody said this number helps: my mum collapsed and won't wake up, 9-1502", "emergency", True),
    ("new", "what should volunteers do if someone has chest pain on the stairs? can ambulances come in?",
     "question", None),
    # a volunteer's words about jobs give way to an emergency they report
    ("volunteer", "楼下倒着一个老人 不是我们楼的 叫不醒 快来人", "emergency", True),
    ("volunteer", "阿拉先去困一歇 阿婆讲伊胸口痛 两个钟头以后再来看伊", "emergency", True),
    # the writer's alarm: urgent with a staple or a medicine, not with a trifle or a look-alike
    ("new", "急！宝宝尿布一片都没有了 5号楼601", "need", True),
    ("new", "急！家里一粒饭都没有了 老人中午还没吃 7号楼402", "need", True),
    ("new", "URGENT!!! ran out of rice and eggs, 12-302", "need", True),
    ("new", "急！帮我奶奶买个手机充电器 12号楼302", "need", False),
    ("new", "急 洗发水用完了 12号楼302", "need", False),
    ("new", "urgent!! need cat food asap, bldg 12 room 302", "need", False),
    ("new", "急 小米充电器坏了 12号楼302", "need", False),
    # running low is not out; spoiled food is no spoiled insulin
    ("new", "停电一天 冰箱里的菜全坏了 宝宝奶粉还有两罐 想买点菜 12号楼302", "need", False),
    ("new", "蔬菜都没有了 米和肉还有 想团点菜 12号楼302", "need", False),
    # ordinary words that look like emergency, crisis or spam words
    ("new", "阳了 喉咙肿了 声音都哑了 需要布洛芬 12号楼302", "need", None),
    ("resident", "白毛巾跟红衣服一起洗 毛巾全红了 哈哈 有没有漂白剂", "need", False),
    ("resident", "人老了 我这个人没用了 手机都不会弄 帮我买点菜好伐", "need", False),
    ("new", "请问居委能不能代办离沪通行证", "question", None),
    ("new", "Gracias por todo, ya no necesitamos nada", "thanks", None),
    # a flat that signs thanks for what came asks for nothing; one beside a need is where it goes
    ("new", "Merci beaucoup pour les médicaments de ma mère, bien reçus ce matin ! Bâtiment 23, app. 1402",
     "thanks", None),
    ("new", "Merci ! Bâtiment 23, app. 1402 : nous avons besoin de pain et de lait", "need", False),
    ("volunteer", "done 21. fyi no rush on the next one", "done", None),
    # a condition put on the hotline ("if you can come") is no hypothetical: the emergency beside it is one
    ("new", "如果有人能来 我爸摔倒了 能来吗", "emergency", True),
    ("new", "要是可以 我妈晕过去了 你们能来吗", "emergency", True),
    ("new", "如果你们能来 我老公喘不上气 可以吗", "emergency", True),
    ("new", "如果方便的话 能派人来吗 我妈摔倒了 起不来", "emergency", True),
    ("new", "Nếu được thì giúp tôi với, mẹ tôi ngã không dậy được?", "emergency", True),
    ("new", "agar ho sake toh jaldi aao, papa gir gaye hain?", "emergency", True),
    ("new", "what if he stops breathing? he is gasping right now", "emergency", True),
    # …while a feared event asked about is a question, whatever the language
    ("resident", "万一夜里有人心脏病发作 救护车开得进来伐", "question", None),
    ("resident", "要是我一个人在家摔了爬不起来 手机又够不着 那怎么办呀", "question", None),
    ("new", "Agar raat ko kisi ko chest pain ho jaye toh kya karein?", "question", None),
    # news asked about, and thanks for a past emergency told well in other words
    ("resident", "群里讲5号楼有个老伯伯昏过去两天才被发现 真的假的", "rumour", None),
    ("resident", "谢谢你们那天帮忙叫救护车 老头子已经出院了 人没事", "thanks", None),
    ("new", "thanks again for getting the ambulance so fast, dad is stable now and recovering", "thanks", None),
    # a volunteer's word with a need passed on for another flat is both; with the job's own flat, the word alone
    ("volunteer", "20号送到了 另外14号楼1003老太太说降压药只剩今天的了", "need", True),
    ("volunteer", "5栋1201的米放在门口了", "which", None),  # rice delivered, no need told: which job?
    ("volunteer", "128接了 到12号楼门口看到一个阿姨倒在楼梯上 叫不醒 快叫120", "emergency", True),
    # a review of those rules: one's own death asked as a "what if" is crisis words, not a question
    ("new", "要是我走了 我的猫怎么办呢", "crisis", None),
    ("new", "假如我明天不在了 我的狗谁养呢", "crisis", None),
    ("new", "what if I don't wake up tomorrow? would anyone notice?", "crisis", None),
    ("new", "もし救急車が来なかったらどうすればいいですか？父が息をしていません", "emergency", True),
    # a new emergency told before thanks for the last one, or between, is an emergency
    ("resident", "我爸又倒在地上了 上次谢谢你们 人没事了", "emergency", True),
    ("resident", "My wife collapsed again just now! Thank you for last week, she was discharged", "emergency", True),
    ("resident", "我妈昨天摔了一跤 今天又倒在地上起不来了 谢谢 上次人没事", "emergency", True),
    ("new", "救护车来得很快 谢谢 孩子已经退烧了 好多了", "thanks", None),
    # a goodbye that says outright where it goes is crisis, whatever move it names
    ("new", "搬去儿子家 其实是去陪我老伴了 狗送给你们 再见了各位", "crisis", None),
    # the new words in their other senses: heartburn, a stove, a joke, a past fall, a pain medicine, a stuck phone
    ("new", "عندي حريق في المعدة أحتاج دواء للحموضة", "need", False),  # asks for an antacid in so many words
    # a request's number asked after in the words of asking ("能送吗"), not building 41 nor something more
    ("asker", "41号今天能送吗", "follow_up", None),
    ("asker", "41号能不能快点", "follow_up", None),
    # a child who swallowed an adult's pills, in Cantonese (食咗…我媽啲…藥; 我個仔), and a child's own fever medicine
    ("new", "我個仔食咗幾粒我媽啲降血壓藥 佢先三歲 而家好眼瞓", "emergency", True),
    ("new", "我個仔發燒 食咗退燒藥都未退 想買退熱貼 5座302", "need", False),
    ("new", "papa gir gaye the kal, ab theek hain, bas dawai chahiye", "need", False),
    ("new", "seene mein dard ki dawai khatam ho gayi, please bhej do", "need", True),
    ("new", "Quase desmaiou de rir com o vídeo, obrigado pelo arroz", "thanks", None),
    ("new", "卡住了 手机卡住了 没法呼叫 呼吸机的配件能送吗", "question", None),
    ("new", "医生说吃了这个止痛药就不会痛苦了 麻烦帮我买一盒布洛芬", "need", False),
    ("new", "neng bu neng chou chu shi jian bang wo mai dian cai", "need", False),
    # calm words hold what can wait; "don't stop" is no cancel; a need the volunteer saw to is no new request
    ("new", "不急的 维生素今天吃完了", "need", False),
    ("asker", "don't stop my delivery, I still need the rice", "repeat", None),
    ("volunteer", "done 20 12-502 also wanted eggs, I gave her mine", "done", None),
    ("volunteer", "done 21, also dropped off eggs at 12-502 since they ran out", "done", None),
    ("volunteer", "128接了 楼下502老伯伯倒在楼梯上 叫不醒", "emergency", True),
    ("new", "Is building one also locked down till Friday?", "question", None),
    # crisis words said as a "what if" or beside news asked about; a volunteer's job word beside news
    ("new", "万一我想不开 你们管吗", "crisis", None),
    ("new", "Nếu tôi chết thì con mèo ai nuôi?", "crisis", None),
    ("new", "有人说封到月底 是真的吗 那我还活着有什么意思", "crisis", None),
    ("new", "听说隔壁小区有人跳楼了", "rumour", None),
    ("volunteer", "done 21. fyi auntie says her son in Chengdu tested positive and she's been crying", "done", None),
    ("delivered", "四月份的时候我老伴晕倒 多亏你们 现在人没事了 谢谢", "thanks", None),
    ("asker", "please stop my delivery of rice but still send the medicine", "need", False),  # #41 cancelled, and this
    # dev_59's rules: a volunteer's word is the one said with the job; look-alikes of its new words
    ("volunteer", "done 21. the lady in 12-205 has no rice left, can you add an order for her", "need", False),
    ("volunteer", "done 20, she has no complaints, all good", "done", None),
    ("new", "停电了 把蜡烛点着了 还挺亮 12号楼302", "need", False),
    ("new", "O que fazer se tem um incêndio no prédio?", "question", None),
    ("new", "the roof door in building 3 is banging in the wind, can someone lock it", "need", False),
    ("new", "everyone would be better off staying indoors today", "need", False),
    ("new", "这几天照顾不了它了 住院回来再接 能不能帮我喂下猫", "need", False),
    ("new", "跳楼大甩卖 白菜一块一斤 团长说的", "spam", None),
    ("new", "我想跳楼", "crisis", None),
    ("new", "What are the signs of a stroke? Just curious", "question", None),
    ("new", "My grandma fell last month but she's on the floor again now and can't get up", "emergency", True),
    ("new", "刚看完电视剧，我妈吞了一整瓶安眠药", "emergency", True),
    ("new", "跟大家永别了 谢谢照顾", "crisis", None),
    ("new", "goodbye everyone, thank you for everything", "crisis", None),
    ("new", "no rush, my vitamins last till tomorrow", "need", False),
    ("new", "降压药够吃到下个月 不急 12号楼302", "need", False),
    ("new", "can I transfer 50 yuan to the volunteer for the vegetables?", "question", None),
    ("new", "勿急个 老头子降压药吃到今朝夜里就呒没了 啥辰光方便送一趟", "need", True),
    ("new", "my insulin pens only last till tomorrow morning, no rush, whenever you can. bldg 9 rm 402", "need", True),
    ("new", "解封了我明天就搬回老家了 谢谢大家这两个月的照顾", "thanks", None),
    ("volunteer", "#20 delivered, uncle in 12-401 can't get his insulin, he's got one shot left for tonight", "need",
     True),
    ("new", "Tchau a todos, obrigada por tudo. Não precisam mais trazer comida para mim.", "crisis", None),
    ("resident", "顶楼天台的门开着伐？我想上去透透气，我走了大家都会好过点", "crisis", None),
    ("new", "【社区通知】防疫补贴发放中，请先将保证金500元转账至账户 6222 0211 8890 3312，24小时内到账", "spam", None),
    # dev_60's rules: offers, status, pinyin numbers, calm words and their look-alikes
    ("new", "I'm a nurse in building 21, happy to check blood pressure for elderly neighbours if anyone needs it.",
     "question", None),
    ("new", "I'm a nurse, could someone check my blood pressure? building 21 room 302", "need", False),
    ("new", "wo jia you duo de mi, ke yi song gei xu yao de lao ren", "question", None),
    ("new", "我多买了两袋米 12号楼302 还需要鸡蛋", "need", False),
    ("new", "有没有人要帮我搬一下米 12号楼302", "need", False),
    ("resident", "阿拉报过啥个单子，侬帮我查一查", "status", None),
    ("new", "Hi, I put in a request for my mother last night, building 7 room 501 – can you tell me where it's at?",
     "status", None),
    ("new", "ni hao, wo shi shi er hao lou san ling er de, cong zuo tian zhong wu dao xian zai mei chi guo dong xi",
     "need", True),
    ("new", "不要紧张 我妈晕倒了 叫不醒 12号楼302", "emergency", True),
    ("new", "17幢302 老太婆胃药吃光了，勿要紧的，过两天送也来得及", "need", False),
    ("new", "34号楼401 老人家轮椅胎破了 推不动 想找人补一下", "need", False),
    ("new", "桶装水快喝完了 下礼拜送两桶 26号楼502", "need", False),
    ("volunteer", "消毒水去哪里领？物业还是居委？", "question", None),
    ("new", "帮我去物业领一下消毒水 12号楼302", "need", False),
    ("resident", "小李谢谢侬噢，侬真好。还有个事体，阿拉屋里抽水马桶又坏脱了", "need", False),
    ("delivered", "短信讲已送达，我等了一个钟头也没人敲门，是不是送到别的楼去了", "not_received", None),
    # thirty fresh messages' misses
    ("new", "What if someone has a heart attack at night - can the ambulance actually get in through the locked gate?",
     "question", None),
    ("new", "what if someone in our flat had a heart attack at night, would the ambulance even be let in?", "question",
     None),
    ("new", "What if he stops breathing again, please hurry, he is turning blue", "emergency", True),
    ("volunteer", "烧到39度，浑身骨头痛，今天顶不住了，先下线，别给我派单", "off", None),
    ("volunteer", "127给我吧", "accept", None),
    ("volunteer", "#21 放好了，12-305门口，拍了照", "done", None),
    ("volunteer", "退烧两天了，核酸也阴性，今天起恢复跑单", "on", None),
    ("resident", "上礼拜我跌跤，救护车来得老快，医生讲骨头没事体，现在已经好走路了。谢谢侬拉！", "thanks", None),
    ("new", "Mein Vater wohnt in Haus 31, 4. Stock, Tür 2. Seit gestern Mittag nimmt er das Telefon nicht ab.",
     "welfare", None),
    ("new", "緊急です！このホットラインはどうやって使えばいいですか？何を送ればいいのか教えてください。", "help_text",
     None),
    # dev_61: a stroke's signs in other languages, not a chronic one; thanks for a past fall now well
    ("new", "mi padre no puede mover el lado derecho de la cara y habla raro. Gracias", "emergency", True),
    ("new", "Mi padre habla raro desde el derrame de hace dos años, necesita arroz, edificio 5, 301", "need", False),
    ("new", "Ma mère parle bizarrement depuis ce matin, bâtiment 8, 1202", "emergency", True),
    ("new", "Mein Vater spricht kein Chinesisch, können Sie Englisch schreiben?", "question", None),
    ("resident", "上礼拜在楼道里摔了一跤，多亏志愿者扶我起来，现在已经不疼了，谢谢大家", "thanks", None),
    ("resident", "我上礼拜摔了一跤 现在已经不疼了 谢谢 但是今天又摔倒了起不来", "emergency", True),
    ("resident", "以前我妈中风过 谢谢关心 现在她又说不出话了", "emergency", True),
    ("new", "어제 넘어졌는데 이제 괜찮아요. 도와주신 자원봉사자분께 감사 인사 전해주세요.", "thanks", None),
    # calm words and a baby's milk gone tonight; a question said to be no emergency; a drill; a programme watched
    ("new", "不好意思麻烦了，不急哈，就是宝宝奶粉今晚冲完这顿就没了，20号楼505", "need", True),
    ("new", "不急 宝宝奶粉还有两罐 想买点水果 20号楼505", "need", False),
    ("new", "120打不通是怎么回事？不是急事，就是想问问万一要叫救护车小区怎么安排", "question", None),
    ("new", "不是急事 就是想问问 我爸刚才摔倒了起不来 要不要叫120", "emergency", True),
    ("new", "Is the fire alarm test tomorrow at 10 in building 9 a drill? Don't want to panic my kids", "question",
     None),
    ("new", "There is a fire in building 9, not a drill! smoke everywhere", "emergency", True),
    ("new", "Watched a documentary about a gas explosion last night. Who checks the gas pipes in building 5?",
     "question", None),
    ("new", "we were watching the news on TV and grandpa fell and can't get up, 9-302", "emergency", True),
    # more of a need while one is open; a recipe's "再加"; thanks for what was bought, nothing more needed
    ("asker", "菜那单再加一袋米和十个鸡蛋吧 谢谢", "repeat", None),
    ("resident", "再加一点盐就好吃了 谢谢分享菜谱", "thanks", None),
    ("resident", "血压药上周你们帮我买到了 现在血压稳了 谢谢 不用再麻烦了", "thanks", None),
    # a review of dev_61's rules by look-alikes: numb from carrying, a stroke years ago, a happy goodbye, a drill or
    # "not an emergency" beside signs happening now, Italian chest pain, fingers blue from the cold, a grandmother well
    ("new", "Meu braço está dormente de tanto carregar as compras, preciso de uma pomada, prédio 4, 302",
     "need", False),
    ("new", "Mi madre habla raro hace tres años por un derrame, necesita arroz y leche, edificio 5, 301",
     "need", False),
    ("new", "Mon mari est confus avec l'application, il parle de commander du riz, il nous faut du riz", "need", False),
    ("new", "Quarantäne vorbei, ich darf endlich zurück nach Deutschland! Lebt wohl und danke für alles, Freiwillige!",
     "thanks", None),
    ("new", "消防演习的时候我妈在楼梯上摔倒了 起不来 头在流血 7号楼302", "emergency", True),
    ("new", "不是急事，就是想问问，我爸说话含糊 嘴歪了 是不是中风 13号楼402", "emergency", True),
    ("new", "Not an emergency, just asking: my dad's face looks droopy and he's slurring his words, should I worry?",
     "emergency", True),
    ("new", "Grazie mille per la spesa. Mio marito ha un forte dolore al petto e suda freddo, palazzina 3 interno 402",
     "emergency", True),
    ("new", "勿急个 屋里一粒米也没了 老头子饿了一天 9号楼604", "need", True),
    ("new", "Посинели пальцы от холода на балконе, ха-ха. Когда привезут обогреватели?", "question", None),
    ("new", "Danke für gestern, als Oma gestürzt ist – es geht ihr wieder gut.", "thanks", None),
    ("new", "Saw the documentary on TV then Dad fell to the floor and won't wake up", "emergency", True),
    ("new", "help pls 19-1804 my roommate took many sleeping pill he not wake up i shake him", "emergency", True),
    ("resident", "不急哈 宝宝奶粉昨天开始换了新牌子 还有大半罐 下次顺便带两包米粉", "need", False),
    ("volunteer", "20号单子送好了 还有203王阿姨卫生间灯泡坏脱了 托我问问", "need", False),
    # dev_62: a thing broken is help, a person who stopped moving an emergency; no food at all is urgent; a baby's
    # nappies gone now are, an adult's are not; thanks with a need that cannot wait files it, thanks for what came in
    # time does not
    ("new", "父が動かなくなりました。息をしていません。18号棟1501", "emergency", True),
    ("new", "bldg 30 rm 1105 — kitchen light and one socket stopped working. whenever someone's free", "need", False),
    ("new", "hi, bldg 32 apt 1501, we've run out of everything. literally nothing in the fridge since last night",
     "need", True),
    ("new", "we still have food for a few days, could we order vegetables? bldg 32 apt 1501", "need", False),
    ("new", "Bldg 1 unit 904 po, wala na pong diaper si baby, ngayon lang naubos", "need", True),
    ("new", "I rent 9-502. My landlady in 9-402 needs adult diapers and her cat food is finished.", "need", False),
    ("new", "家里的电饭锅插上没反应，米有的，就是烧不了饭，勿急个", "need", False),
    ("new", "我爸叫他没反应 12号楼302", "emergency", True),
    ("resident", "谢谢侬昨日送个药。还有桩事体，阿拉老头子个胰岛素针头今朝用脱最后一只了", "need", True),
    ("resident", "thanks, the insulin came just in time, we ran out last night", "thanks", None),
    # a review of dev_62's rules: a broken lift beside a collapse in a language the rules do not read still goes before
    # a person; thanks that need no food, an insulin pen running out tonight asked about; dev_63's farewells
    ("new", "Asansör bozuldu, babam merdivende yığıldı, nefes almıyor. Blok 14 daire 903", "emergency", True),
    ("new", "Winda zepsuta, mój ojciec upadł na schodach i nie oddycha. Blok 5, mieszkanie 301", "emergency", True),
    ("new", "Ambulans geldi mi? babam nefes almıyor", "emergency", True),  # asked as a question, in Turkish
    ("new", "No, gracias, ya no necesitamos nada de comida, llegó todo ayer", "thanks", None),
    ("new", "My dad's insulin is on its last pen, if he runs out tonight how do we get more? 12-302", "need", True),
    ("new", "Gracias por todo, ya llegó la comida", "thanks", None),
    ("new", "Thank you for everything these weeks. My son is coming from Beijing to fetch me on Saturday, so I'll say "
            "goodbye now", "thanks", None),
    ("new", "Grazie di tutto. Ho lasciato il gatto alla signora del piano di sotto. Stanotte raggiungo mio marito",
     "crisis", True),
    # read_71's rules: a writer who says it can wait keeps the second reader's guess from a person, thanks after a
    # scare now over is thanks in more languages, laughter and a TV drama set grave words aside; none of them hides
    # an emergency written beside them
    ("new", "不急的 就是我妈刚刚倒在地上叫不醒了 3号楼201", "emergency", True),
    ("new", "Terima kasih atas bantuan semalam, anak saya dah okay. Tapi sekarang suami saya pingsan tidak sadar, "
            "gedung 5 kamar 302", "emergency", True),
    ("new", "ㅋㅋ 아니 진짜 엄마가 쓰러져서 숨을 안 쉬어요 15동 702호", "emergency", True),
    ("new", "Sem pressa, mas minha avó não atende a porta há dois dias. Prédio 8 apto 1203", "welfare", True),
    ("new", "Смотрели сериал, герой упал в обморок. А сейчас мой муж правда упал и не дышит! корпус 4 кв 301",
     "emergency", True),
    ("new", "thx for yesterday, hes totally fine now", "thanks", None),
    ("new", "드라마 주인공처럼 아빠가 쓰러져서 숨을 안 쉬어요 15동 702호", "emergency", True),  # a drama as a simile
    ("new", "ドラマの主人公みたいに父が倒れて息をしていない 5号棟302", "emergency", True),
]


@pytest.mark.parametrize(("text", "building", "room"), [
    ("السلام عليكم، نسكن في المبنى ٢٢ شقة ١٥٠٢. ابني عنده حرارة ٣٨٫٦", 22, "1502"),  # Arabic digits
    ("12号 3楼02 顾 降压药今朝早上吃脱最后一粒了", 12, "302"),  # a floor and a door after the building
    ("12号楼3楼2号 老两口 想要点水果", 12, "302"),
    ("Dad (Wang Jianguo), No.12 bldg, 3F, door 2. His heart pills finish tomorrow morning.", 12, "302"),
    ("my aunt Mrs Xu, block 19, flat 4-02 (4th floor, door 2), needs her thyroxine", 19, "402"),
    ("soy la nieta de la señora Lin, edificio 16, piso 5, puerta 1. Necesita pan", 16, "501"),
    ("楼号12 房号302 需要降压药", 12, "302"),
    ("Mẹ tôi đang bị co giật, gọi không tỉnh. Nhà số 4, phòng 302.", 4, "302"),
    ("wu hao lou 601, xu yao yi xie shu cai he ji dan", 5, "601"),
    ("不急不急 就是我降压药今夜吃脱最后一粒 20栋2楼1室", 20, "201"),
    ("mein Vater wohnt in Haus 31, 4. Stock, Tür 2, er braucht Brot", 31, "402"),
    ("wo nai nai zhu 20 hao lou 5 ceng 02, liang tian da dian hua mei ren jie", 20, "502"),
    ("屋里厢啥么事也没得吃了 两天没吃饭 第十六幢 一千零三室", 16, "1003"),  # numbers with units
    ("3e étage porte 5, bâtiment 12, il nous faut du pain", 12, "305"),
    ("hi from blk 6 #08-02, could a volunteer get us a few antigen test kits? we have none left", 6, "802"),
    ("budynek 7 mieszkanie 1203, potrzebujemy chleba", 7, "1203"),
    ("gebouw 3 kamer 402, we hebben brood nodig", 3, "402"),
    ("ni hao 15hao1101 xu yao mai cai", 15, "1101"),
    ("Geb. 12, Whg. 302: wir brauchen Brot und Milch", 12, "302"),
    ("Tata upadł na schodach, nie może wstać, blok 3 mieszkanie 201", 3, "201"),
    ("my bud 5 doors down has no rice, building 12 room 304", 12, "304"),  # "bud" no building word here
], ids=lambda v: str(v)[:16])
def test_a_flat_written_another_way_is_read(text, building, room):
    out = fast.run(Line("near_misses", 0, text, "new", {}))
    assert (out.building, out.room) == (building, room), (text, out)


@pytest.mark.parametrize(("sender", "text", "kind", "urgent"), NEAR_MISSES, ids=lambda v: str(v)[:24])
def test_a_near_miss_is_read_as_a_dispatcher_would(sender, text, kind, urgent):
    out = fast.run(Line("near_misses", 0, text, sender, {}))
    assert out.kind == kind, (text, out)
    if urgent is not None:
        assert out.urgent is urgent, (text, out)


@pytest.mark.parametrize(("text", "category"), [
    ("fridge died in the power cut, could someone buy us some eggs and milk, 12-302", "food"),  # food to be bought
    ("the fridge died in the power cut, can someone come and look at it, 12-302", "help"),  # a mend
    ("need flea treatment for my cat, no rush, 12-302", "help"),  # a pet's medicine
    ("my cat is fine but I need my own blood pressure pills, 12-302", "medicine"),
    ("insulin for me, one pen left, and flea treatment for the cat please, 12-302", "medicine"),
    ("鸡蛋都坏了 想买点新鲜鸡蛋 12号楼302", "food"),  # food gone bad is food to buy, no mend
    ("我家狗狗的驱虫药没了 12号楼302", "help"),  # a pet's medicine, named as a drug
    ("冰箱坏了 帮我买个西瓜 12号楼302", "food"),  # 买个: a thing to buy, not a new fridge
    ("kan iemand mijn boodschappen bij de poort ophalen? gebouw 5 kamer 602", "help"),  # fetched from the gate
], ids=lambda v: str(v)[:24])
def test_what_is_needed_is_read(text, category):
    out = fast.run(Line("near_misses", 0, text, "new", {}))
    assert out.category == category, (text, out)


@pytest.mark.parametrize(("name", "number"), [(name, n) for name, lines in READ_AS_LABELLED.items() for n in lines])
def test_a_look_alike_of_the_rules_is_read_as_its_dispatcher_reads_it(name, number):
    line = LOOK_ALIKES[name][number - 1]
    out = fast.run(line)
    kind = line.expect.get("kind", "need")
    assert out.kind == kind, (line.text, out)
    if kind == "need" and "urgent" in line.expect:
        assert out.urgent is line.expect["urgent"], (line.text, out)
