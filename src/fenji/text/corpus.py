"""A seeded, labelled corpus of Chinese prose with personal information, and span-level scoring.

``make_corpus(docs, seed)`` fills the templates of ``corpus.yaml`` (service logs, application
logs, contracts, chat, e-mails) with valid identifiers (check digits computed), Faker names and
real-looking addresses, beside hard negatives: order and waybill numbers (some pass Luhn by
chance), amounts, dates, versions shaped like IP addresses, masked phone numbers, product names
and place names that are not addresses. Every labelled span is a slot the generator filled, so
the labels are exact; ``fenji.text.scoring.score_spans`` compares predicted spans with them
(exact type, start and end). Faker is a development dependency, imported only when a
corpus is generated.

>>> docs = make_corpus(3, seed=1)
>>> all(d.text[a:b] for d in docs for a, b, _ in d.labels)
True
"""

from __future__ import annotations

import datetime
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from fenji.errors import InputError
from fenji.ids import cn_ric, cn_uscc, hk_id, tw_id, vin
from fenji.text.scoring import Label

LABELLED_SLOTS = {
    "name": "PERSON_NAME",
    "mobile": "CN_MOBILE_PHONE",
    "landline": "CN_LANDLINE_PHONE",
    "ric": "CN_RESIDENT_ID",
    "email": "EMAIL_ADDRESS",
    "card": "BANK_CARD_NUMBER",
    "uscc": "CN_USCC",
    "passport": "CN_PASSPORT",
    "hk_permit": "CN_HMT_PERMIT",
    "tw_permit": "CN_HMT_PERMIT",
    "hkid": "HK_ID_CARD",
    "twid": "TW_ID_CARD",
    "plate": "CN_LICENSE_PLATE",
    "vin": "VIN",
    "imei": "IMEI",
    "mac": "MAC_ADDRESS",
    "ip": "IP_ADDRESS",
    "ipv6": "IP_ADDRESS",
    "gps": "GPS_COORDINATE",
    "address": "ADDRESS",
    "street_address": "ADDRESS",
    "dob": "DATE_OF_BIRTH",
    "wechat": "WECHAT_ID",
    "qq": "QQ_NUMBER",
}
T = TypeVar("T")


@dataclass(frozen=True)
class Doc:
    """One generated document and its labelled spans."""

    id: str
    register: str
    text: str
    labels: tuple[Label, ...]


def _data() -> dict[str, Any]:
    text = resources.files("fenji.text").joinpath("corpus.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


class _Slots:
    """One generator per slot, sharing a seeded ``random.Random`` and a seeded Faker."""

    def __init__(self, seed: int) -> None:
        try:
            from faker import Faker
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(
                "fenji.text.corpus needs Faker (a development dependency): pip install 'fenji[dev]'"
            ) from None
        self.r = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.v = _data()["vocab"]
        self.regions = sorted(x for x in cn_ric.known_regions() if not x.endswith("00"))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.r.randrange(len(options))]

    def digits(self, n: int) -> str:
        return "".join(self.r.choices("0123456789", k=n))

    def day(self, start: int = 2023, days: int = 700) -> datetime.date:
        return datetime.date(start, 1, 1) + datetime.timedelta(days=self.r.randrange(days))

    # --- personal information ------------------------------------------------------------
    def name(self) -> str:
        if self.r.random() < 0.06:
            return self.pick(self.v["compound_surnames"]) + self.fake.first_name()
        return str(self.fake.last_name()) + str(self.fake.first_name())

    def mobile(self) -> str:
        n = self.pick(self.v["mobile_segments"]) + self.digits(8)
        style = self.r.random()
        if style < 0.6:
            return n
        if style < 0.7:
            return f"+86 {n[:3]} {n[3:7]} {n[7:]}"
        if style < 0.8:
            return f"{n[:3]}-{n[3:7]}-{n[7:]}"
        if style < 0.9:
            return n.translate(_FULL_WIDTH_DIGITS)
        return "+86" + n

    def landline(self) -> str:
        code = self.pick(self.v["area_codes"])
        local = str(self.r.randrange(2, 10)) + self.digits(7 if len(code) == 3 else 6)
        ext = f"转{self.r.randrange(100, 999)}" if self.r.random() < 0.1 else ""
        return f"{code}-{local}{ext}" if self.r.random() < 0.8 else f"({code}){local}{ext}"

    def ric(self) -> str:
        region = self.pick(self.regions)
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=self.r.randrange(21900))
        if self.r.random() < 0.03:
            return f"{region}{born:%y%m%d}{self.digits(3)}"
        body = f"{region}{born:%Y%m%d}{self.digits(3)}"
        return body + cn_ric.calc_check_digit(body)

    def email(self) -> str:
        user = self.pick(self.v["pinyin"]) + (self.digits(self.r.randrange(0, 5)))
        sep = self.pick(["", ".", "_"]) if self.r.random() < 0.3 else ""
        if sep:
            user = user[:3] + sep + user[3:]
        return f"{user}@{self.pick(self.v['mail_domains'])}"

    def card(self) -> str:
        unionpay = self.r.random() < 0.8
        width = self.pick([16, 19]) if unionpay else 16
        body = ("62" + self.digits(width - 3)) if unionpay else ("4" + self.digits(width - 2))
        number = body + _luhn_digit(body)
        if self.r.random() < 0.2:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def uscc(self) -> str:
        org = "".join(self.r.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=8))
        body = "91" + self.pick(self.regions) + org + cn_uscc.calc_org_check_digit(org)
        return body + cn_uscc.calc_check_digit(body)

    def passport(self) -> str:
        if self.r.random() < 0.3:
            return "E" + self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ") + self.digits(7)
        return self.pick("EG") + self.digits(8)

    def hk_permit(self) -> str:
        return self.pick("HM") + self.digits(8 if self.r.random() < 0.7 else 10)

    def tw_permit(self) -> str:
        return str(self.r.randrange(1, 10)) + self.digits(7)

    def hkid(self) -> str:
        body = self.pick("ABCEGHKMPRVYZ") + self.digits(6)
        return f"{body}({hk_id.calc_check_digit(body)})"

    def twid(self) -> str:
        body = self.pick("ABCDEFGHJKMNPQTUVXYZ") + self.pick("12") + self.digits(7)
        return body + tw_id.calc_check_digit(body)

    def plate(self) -> str:
        chars = self.v["plate_chars"]
        head = self.pick(self.v["plate_provinces"]) + self.pick(chars[:24])
        if self.r.random() < 0.2:
            return head + "D" + self.pick(chars) + self.digits(4)
        rest = "".join(self.r.choices(chars, k=5))
        return f"{head}·{rest}" if self.r.random() < 0.3 else head + rest

    def vin(self) -> str:
        chars = self.r.choices(self.v["vin_chars"], k=8)
        wmi = self.pick(self.v["wmi"])
        body = wmi + "".join(chars[:5]) + "0" + "".join(chars[5:]) + self.digits(5)
        return body[:8] + vin.calc_check_digit(body) + body[9:]

    def imei(self) -> str:
        body = "86" + self.digits(12)
        return body + _luhn_digit(body)

    def mac(self) -> str:
        parts = [f"{self.r.randrange(256):02X}" for _ in range(6)]
        return self.pick([":", "-"]).join(parts)

    def ip(self) -> str:
        first = self.pick(["10", "172", "192", str(self.r.randrange(1, 224))])
        return ".".join([first] + [str(self.r.randrange(0, 256)) for _ in range(3)])

    def ipv6(self) -> str:
        groups = [f"{self.r.randrange(65536):x}" for _ in range(8)]
        if self.r.random() < 0.5:
            return "2408:" + ":".join(groups[:3]) + "::" + groups[7]
        return ":".join(groups)

    def gps(self) -> str:
        lat = f"{self.r.uniform(20, 45):.6f}"
        lng = f"{self.r.uniform(100, 125):.6f}"
        return f"{lat},{lng}"

    def _street(self) -> str:
        street = self.pick(self.v["street_names"]) + self.pick(self.v["street_markers"])
        return f"{street}{self.r.randrange(1, 999)}号"

    def _house(self) -> str:
        kind = self.r.random()
        if kind < 0.35:
            return f"{self.pick(self.v['estates'])}{self.r.randrange(1, 30)}栋{self.r.randrange(1, 6)}单元{self.r.randrange(1, 30)}0{self.r.randrange(1, 5)}室"  # noqa: E501
        if kind < 0.6:
            return f"{self.pick(self.v['estates'])}{self.r.randrange(1, 20)}号楼{self.r.randrange(101, 2999)}室"  # noqa: E501
        if kind < 0.8:
            return f"{self.r.randrange(1, 40)}楼"
        return ""

    def address(self) -> str:
        kind = self.r.random()
        if kind < 0.35:
            province, city, districts = self.pick(self.v["regions"])
            return f"{province}{city}{self.pick(districts)}{self._street()}{self._house()}"
        if kind < 0.55:
            city, districts = self.pick(self.v["municipalities"])
            return f"{city}{self.pick(districts)}{self._street()}{self._house()}"
        if kind < 0.75:
            _, city, districts = self.pick(self.v["regions"])
            return f"{city}{self.pick(districts)}{self._street()}{self._house()}"
        if kind < 0.88:
            province, city, county, town = self.pick(self.v["rural"])
            village = self.pick(self.v["village_names"]) + "村"
            group = f"{self.r.randrange(1, 12)}组" if self.r.random() < 0.6 else ""
            return f"{province}{city}{county}{town}{village}{group}"
        _, _, districts = self.pick(self.v["regions"])
        return f"{self.pick(districts)}{self._street()}{self._house()}"

    def street_address(self) -> str:
        return self._street() + self._house()

    def dob(self) -> str:
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=self.r.randrange(21900))
        if self.r.random() < 0.5:
            return f"{born.year}年{born.month}月{born.day}日"
        return f"{born:%Y-%m-%d}"

    def wechat(self) -> str:
        if self.r.random() < 0.4:
            return "wxid_" + "".join(self.r.choices("abcdefghijkmnpqrstuvwxyz0123456789", k=10))
        sep = self.pick(["_", ""])
        return self.pick(self.v["pinyin"]) + sep + self.digits(self.r.randrange(2, 5))

    def qq(self) -> str:
        return str(self.r.randrange(1, 10)) + self.digits(self.r.randrange(5, 10))

    # --- hard negatives ------------------------------------------------------------------
    def ts(self) -> str:
        d = self.day()
        return f"{d} {self.r.randrange(24):02d}:{self.r.randrange(60):02d}:{self.r.randrange(60):02d}.{self.digits(3)}"  # noqa: E501

    def date(self) -> str:
        d = self.day()
        return f"{d.year}年{d.month}月{d.day}日" if self.r.random() < 0.5 else str(d)

    def order_no(self) -> str:
        if self.r.random() < 0.4:  # ID-shaped, wrong MOD 11-2 check character
            body = self.ric()[:17]
            body = body if len(body) == 17 else body + "0"
            right = cn_ric.calc_check_digit(body)
            return body + self.pick([c for c in "0123456789" if c != right])
        d = self.day()
        return f"{d:%Y%m%d}{self.digits(self.r.randrange(8, 12))}"  # may pass Luhn by chance

    def txn(self) -> str:
        return str(self.r.randrange(1, 10)) + self.digits(self.r.randrange(15, 20))

    def tracking(self) -> str:
        kind = self.r.random()
        if kind < 0.4:
            return "SF" + self.digits(12)
        if kind < 0.7:
            return "YT" + self.digits(13)
        return "7" + self.digits(14)  # 15 digits: an IMEI shape, Luhn passes one in ten

    def amount(self) -> str:
        value = self.r.randrange(1, 100000) / self.pick([1, 100])
        return f"{value:,.2f}" if self.r.random() < 0.5 else str(value)

    def version_ip(self) -> str:
        return ".".join(str(self.r.randrange(0, 20)) for _ in range(4))

    def masked_phone(self) -> str:
        return self.pick(self.v["mobile_segments"]) + "****" + self.digits(4)

    def simple(self, slot: str) -> str:
        r = self.r
        table: dict[str, Callable[[], str]] = {
            "ticket": lambda: "GD" + self.digits(8),
            "tail4": lambda: self.digits(4),
            "invoice": lambda: self.digits(8),
            "points": lambda: str(r.randrange(100, 99999)),
            "sku": lambda: "SKU-" + "".join(r.choices("ABCDEFGH0123456789", k=8)),
            "version": lambda: f"v{r.randrange(1, 6)}.{r.randrange(20)}.{r.randrange(30)}",
            "build": lambda: self.digits(8),
            "ms": lambda: str(r.randrange(1, 5000)),
            "percent": lambda: str(r.randrange(1, 100)),
            "count": lambda: str(r.randrange(2, 500)),
            "months": lambda: str(r.randrange(3, 60)),
            "port": lambda: str(r.randrange(1024, 65535)),
            "trace": lambda: "".join(r.choices("0123456789abcdef", k=32)),
            "time": lambda: f"{r.randrange(8, 22)}:{self.pick(['00', '30'])}",
            "contract_no": lambda: f"HT-{r.randrange(2019, 2025)}-{self.digits(6)}",
            "company": lambda: str(self.fake.company()),
            "bank": lambda: self.pick(self.v["banks"]),
            "place": lambda: self.pick(self.v["places"]),
            "product": lambda: self.pick(self.v["products"]),
            "subject": lambda: self.pick(self.v["subjects"]),
            "channel": lambda: self.pick(self.v["channels"]),
            "path": lambda: self.pick(self.v["paths"]),
        }
        if slot not in table:
            raise InputError(f"corpus.yaml: unknown slot {{{slot}}}")
        return table[slot]()

    def fill(self, slot: str) -> str:
        method = getattr(self, slot, None)
        if method is not None and slot not in {"simple", "fill", "pick", "digits", "day"}:
            return str(method())
        return self.simple(slot)


_SLOT = re.compile(r"\{(\w+)\}")


def _render(template: str, slots: _Slots, base: int) -> tuple[str, list[Label]]:
    out: list[str] = []
    labels: list[Label] = []
    pos = 0
    length = 0
    for m in _SLOT.finditer(template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        value = slots.fill(m.group(1))
        if m.group(1) in LABELLED_SLOTS:
            labels.append((base + length, base + length + len(value), LABELLED_SLOTS[m.group(1)]))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), labels


def make_corpus(docs: int = 400, seed: int = 0) -> list[Doc]:
    """``docs`` seeded documents spread over the registers, each with its labelled spans."""
    data = _data()
    slots = _Slots(seed)
    registers = sorted(data["registers"])
    out = []
    for i in range(docs):
        register = registers[i % len(registers)]
        templates = data["registers"][register]
        sentences = [slots.pick(templates) for _ in range(slots.r.randrange(2, 6))]
        sentences += [slots.pick(data["filler"]) for _ in range(slots.r.randrange(0, 2))]
        slots.r.shuffle(sentences)
        glue = "" if register == "contract" else "\n"
        text, labels = "", []
        for sentence in sentences:
            if text:
                text += glue
            part, found = _render(sentence, slots, len(text))
            text += part
            labels += found
        out.append(Doc(f"{register}-{i:04d}", register, text, tuple(labels)))
    return out


def write_corpus(docs: Iterable[Doc], path: Path) -> None:
    """Write documents as JSON Lines (UTF-8): ``id``, ``register``, ``text``, ``labels``."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as fh:
        for d in docs:
            row = {"id": d.id, "register": d.register, "text": d.text,
                   "labels": [list(x) for x in d.labels]}  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_corpus(path: Path) -> list[Doc]:
    """Read documents written by ``write_corpus``."""
    docs = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                labels = tuple((int(a), int(b), str(t)) for a, b, t in row["labels"])
                docs.append(Doc(row["id"], row["register"], row["text"], labels))
    return docs


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m fenji.text.corpus --docs 400 --seed 2024 --out corpus.jsonl``"""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    docs = make_corpus(args.docs, args.seed)
    write_corpus(docs, args.out)
    spans = Counter(t for d in docs for _, _, t in d.labels)
    print(f"{args.out}: {len(docs)} documents, {sum(spans.values())} labelled spans")


if __name__ == "__main__":
    main()
