"""Seeded, realistic synthetic tables with ground-truth labels (for tests, demos, benchmarks).

``make_tables(rows, seed)`` returns five tables a Chinese business might hold (customers, orders
with free-text remarks, vehicle telemetry, a firm register, travellers) in which every identifier
is valid (check digits computed) and hard negatives sit beside them: 18-digit order numbers
failing MOD 11-2, 16-19-digit transaction ids failing Luhn, 13-digit millisecond timestamps,
product titles, company names outside name columns, ordinary Chinese words, version strings.
``LABELS[table][column]`` is the set of info types each column really holds.

Faker is a development dependency only: it is imported when ``make_tables`` runs. Generation is
per value in Python (test data, not a hot path); Faker values come from pools for speed.
"""

from __future__ import annotations

import datetime
import random
import uuid
from importlib import resources

import numpy as np
import polars as pl
import yaml

from fenji.errors import InputError
from fenji.ids import cn_ric, cn_uscc, hk_id, tw_id, vin

_DATA = yaml.safe_load(
    resources.files("fenji.data").joinpath("synth.yaml").read_text(encoding="utf-8")
)
LABELS: dict[str, dict[str, set[str]]] = {
    table: {column: set(types) for column, types in columns.items()}
    for table, columns in _DATA["labels"].items()
}
_V = _DATA["vocab"]
ETHNIC: list[str] = _V["ethnic"]
MOBILE_SEGMENTS: list[str] = [str(x) for x in _V["mobile_segments"]]
AREA_CODES: list[str] = [str(x) for x in _V["area_codes"]]
PROVINCE_ABBR: str = _V["province_abbr"]
PLATE_CHARS: str = str(_V["plate_chars"])
VIN_CHARS: str = str(_V["vin_chars"])
WMI: list[str] = _V["wmi"]
BRANDS: list[str] = _V["brands"]
ITEMS: list[str] = _V["items"]
SPECS: list[str] = _V["specs"]
REMARKS: list[str] = _V["remarks"]
RELIGIONS: list[str] = _V["religions"]
ALLERGIES: list[str] = _V["allergies"]
INDUSTRIES: list[str] = _V["industries"]
SCOPES: list[str] = _V["scopes"]


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _style_phone(number: str, style: float) -> str:
    """The ways people write a mobile number: plain, +86 with spaces, dashes, full width, 0086."""
    if style < 0.6:
        return number
    if style < 0.7:
        return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
    if style < 0.8:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style < 0.9:
        return number.translate(_FULL_WIDTH_DIGITS)
    return "0086" + number


def _matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Digits of equal-width ASCII strings as an int matrix."""
    raw = np.frombuffer("".join(values.tolist()).encode(), dtype=np.uint8)
    return raw.reshape(len(values), width).astype(np.int64) - 48


def _luhn_checks(body: np.ndarray) -> np.ndarray:
    """Luhn check digit for each row of a digit matrix (the check digit not included)."""
    doubled = (np.arange(body.shape[1])[::-1] % 2) == 0  # rightmost body digit is doubled
    values = np.where(doubled, body * 2, body)
    values = np.where(values > 9, values - 9, values)
    return (10 - values.sum(axis=1) % 10) % 10


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


class _Gen:
    """Per-value generators sharing one numpy Generator and one seeded Faker."""

    def __init__(self, rows: int, seed: int) -> None:
        try:
            from faker import Faker
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(
                "fenji.synth needs Faker (a development dependency): pip install 'fenji[dev]'"
            ) from None
        self.rows = rows
        self.rng = np.random.default_rng(seed)
        self.r = random.Random(seed)  # scalar draws: far cheaper per call than numpy's
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.en = Faker("en_US")
        self.en.seed_instance(seed)
        self.regions = sorted(r for r in cn_ric.known_regions() if not r.endswith("0000"))
        # Faker is slow (0.2-0.8 ms a value): draw from shared pools and combine them instead of
        # calling it per row, so 200,000 rows stay cheap and mostly distinct.
        self.surnames = [self.fake.last_name() for _ in range(min(rows, 300))]
        self.given = [self.fake.first_name() for _ in range(min(rows, 300))]
        self.streets = [self.fake.address().rsplit(" ", 1)[0] for _ in range(min(rows, 400))]
        self.users = [self.fake.user_name() for _ in range(min(rows, 400))]

    def pool(self, fn: object, size: int = 400) -> list[str]:
        values = [fn() for _ in range(min(self.rows, size))]  # type: ignore[operator]
        return self.draw(values)

    def draw(self, values: list[str]) -> list[str]:
        return [values[i] for i in self.rng.integers(0, len(values), self.rows)]

    def names(self) -> list[str]:
        return [a + b for a, b in zip(self.draw(self.surnames), self.draw(self.given), strict=True)]

    def addresses(self) -> list[str]:
        rooms = self.rng.integers(1, 30, (self.rows, 2)).tolist()
        return [
            f"{s}{b}栋{r}0{b % 9 + 1}室"
            for s, (b, r) in zip(self.draw(self.streets), rooms, strict=True)
        ]

    def emails(self) -> list[str]:
        domains = self.pick(["qq.com", "163.com", "126.com", "example.com", "sina.com"])
        tags = self.rng.integers(0, 10_000, self.rows).tolist()
        return [f"{u}{t}@{d}" for u, t, d in zip(self.draw(self.users), tags, domains, strict=True)]

    def rics(self) -> list[str]:
        """Resident IDs, 5 % in the legacy 15-digit form (whole-array check digits)."""
        n, rng = self.rows, self.rng
        region = np.array(self.regions)[rng.integers(0, len(self.regions), n)]
        born = np.datetime64("1950-01-01") + rng.integers(0, 21900, n).astype("timedelta64[D]")
        ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
        seq = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
        body = np.char.add(np.char.add(region, ymd), seq)
        digits = _matrix(body, 17)
        check = np.array(list("0123456789X"))[(12 - (digits @ RIC_WEIGHTS) % 11) % 11]
        legacy = np.char.add(np.char.add(region, np.array([d[2:] for d in ymd])), seq)
        # Legacy numbers were replaced in 1999-2004: only people born before 2000 hold one (a
        # two-digit year such as 00 would read as 1900, and 1900-02-29 does not exist).
        old = (rng.random(n) < 0.05) & (born < np.datetime64("2000-01-01"))
        out = np.where(old, legacy, np.char.add(body, check))
        return [str(x) for x in out]

    def cards(self) -> list[str]:
        """Card numbers: 80 % UnionPay (62), 16 or 19 digits, Luhn check; 20 % in groups."""
        n, rng = self.rows, self.rng
        unionpay = rng.random(n) < 0.8
        length = np.where(unionpay & (rng.random(n) < 0.5), 19, 16)
        out = np.empty(n, dtype=object)
        for width in (16, 19):
            rows = np.flatnonzero(length == width)
            body = rng.integers(0, 10, (rows.size, width - 1))
            body[:, 0] = np.where(unionpay[rows], 6, 4)
            body[:, 1] = np.where(unionpay[rows], 2, body[:, 1])
            numbers = np.concatenate([body, _luhn_checks(body)[:, None]], axis=1)
            text = (numbers + 48).astype(np.uint8).tobytes().decode()
            out[rows] = [text[i * width : (i + 1) * width] for i in range(rows.size)]
        grouped = rng.random(n) < 0.2
        return [
            " ".join(c[i : i + 4] for i in range(0, len(c), 4)) if g else c
            for c, g in zip(out, grouped, strict=True)
        ]

    def mobiles(self, styled: bool = True) -> list[str]:
        segments = np.array(MOBILE_SEGMENTS)[self.rng.integers(0, len(MOBILE_SEGMENTS), self.rows)]
        tails = np.char.zfill(self.rng.integers(0, 10**8, self.rows).astype(str), 8)
        numbers = [str(x) for x in np.char.add(segments, tails)]
        if not styled:
            return numbers
        return [
            _style_phone(x, s) for x, s in zip(numbers, self.rng.random(self.rows), strict=True)
        ]

    def ipv4(self) -> list[str]:
        octets = self.rng.integers(1, 255, (self.rows, 4))
        return [".".join(map(str, row)) for row in octets]

    def pick(self, options: list[str]) -> list[str]:
        return [options[i] for i in self.rng.integers(0, len(options), self.rows)]

    def ric(self) -> str:
        rng = self.r
        region = self.regions[rng.randrange(len(self.regions))]
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(21900))
        if rng.random() < 0.05 and born.year < 2000:  # legacy 15-digit form, born before 2000
            return f"{region}{born:%y%m%d}{_digits(rng, 3)}"
        body = f"{region}{born:%Y%m%d}{_digits(rng, 3)}"
        return body + cn_ric.calc_check_digit(body)

    def mobile(self) -> str:
        number = MOBILE_SEGMENTS[self.r.randrange(len(MOBILE_SEGMENTS))] + _digits(self.r, 8)
        return _style_phone(number, self.r.random())

    def landline(self) -> str:
        code = AREA_CODES[self.r.randrange(len(AREA_CODES))]
        local = str(self.r.randrange(2, 10)) + _digits(self.r, 7 if len(code) == 3 else 6)
        ext = f"转{self.r.randrange(100, 999)}" if self.r.random() < 0.1 else ""
        return f"{code}-{local}{ext}" if self.r.random() < 0.8 else f"({code}){local}{ext}"

    def bad_luhn(self) -> str:
        body = str(self.r.randrange(1, 10)) + _digits(self.r, self.r.randrange(15, 19))
        return body + str((int(_luhn_digit(body)) + self.r.randrange(1, 10)) % 10)

    def order_no(self) -> str:
        if self.r.random() < 0.5:  # ID-shaped, wrong MOD 11-2 check digit
            good = self.ric()
            good = good if len(good) == 18 else good[:6] + "19" + good[6:] + "0"
            body = good[:17]
            wrong = [c for c in "0123456789X" if c != cn_ric.calc_check_digit(body)]
            return body + wrong[self.r.randrange(len(wrong))].replace("X", "7")
        day = datetime.date(2023, 1, 1) + datetime.timedelta(days=self.r.randrange(0, 700))
        return f"{day:%Y%m%d}{_digits(self.r, 10)}"

    def vin(self) -> str:
        chars = self.r.choices(VIN_CHARS, k=14)
        body = (
            WMI[self.r.randrange(len(WMI))]
            + "".join(chars[:5])
            + "0"
            + "".join(chars[5:8])
            + _digits(self.r, 5)
        )
        return body[:8] + vin.calc_check_digit(body) + body[9:]

    def plate(self) -> str:
        province = PROVINCE_ABBR[self.r.randrange(len(PROVINCE_ABBR))]
        letter = PLATE_CHARS[self.r.randrange(0, 24)]
        if self.r.random() < 0.2:  # new energy
            return f"{province}{letter}D{PLATE_CHARS[self.r.randrange(34)]}" + _digits(self.r, 4)
        rest = "".join(self.r.choices(PLATE_CHARS, k=5))
        return f"{province}{letter}·{rest}" if self.r.random() < 0.3 else province + letter + rest

    def imei(self) -> str:
        body = "86" + _digits(self.r, 12)
        return body + _luhn_digit(body)

    def uscc(self) -> str:
        org = "".join(self.r.choices(PLATE_CHARS[24:], k=8))
        body = "91" + self.regions[self.r.randrange(len(self.regions))] + org
        body += cn_uscc.calc_org_check_digit(org)
        return body + cn_uscc.calc_check_digit(body)

    def hkid(self) -> str:
        body = "ABCEGHKMPRVYZ"[self.r.randrange(13)] + _digits(self.r, 6)
        return f"{body}({hk_id.calc_check_digit(body)})"

    def twid(self) -> str:
        body = (
            "ABCDEFGHJKMNPQTUVXYZ"[self.r.randrange(20)]
            + str(self.r.randrange(1, 3))
            + _digits(self.r, 7)
        )
        return body + tw_id.calc_check_digit(body)

    def remark(self) -> str:
        r = self.r.random()
        base = REMARKS[self.r.randrange(len(REMARKS))]
        if r < 0.15:
            return f"{base}，收货前请致电{self.mobile()}"
        if r < 0.22:
            return f"清关需要，身份证号{self.ric()}已核验"
        if r < 0.28:
            return f"{base}。电子发票请发送至{self.fake.user_name()}@163.com"
        if r < 0.35:
            return f"{base}，关联订单{self.order_no()}"
        return base


def _each(g: _Gen, fn: object) -> list[str]:
    return [fn() for _ in range(g.rows)]  # type: ignore[operator]


def _customers(g: _Gen) -> pl.DataFrame:
    f, rng, n = g.fake, g.rng, g.rows
    born = np.datetime64("1950-01-01") + rng.integers(0, 21900, n).astype("timedelta64[D]")
    work = np.where(rng.random(n) < 0.85, np.array(g.pool(f.company)), "北京大学")
    joined = np.datetime64("2019-01-01T00:00:00", "us") + rng.integers(0, 150_000_000, n).astype(
        "timedelta64[s]"
    )
    return pl.DataFrame(
        {
            "客户编号": [f"C{i:08d}" for i in range(1, n + 1)],
            "姓名": g.names(),
            "性别": g.pick(["男", "女"]),
            "民族": g.pick(ETHNIC),
            "出生日期": born,
            "身份证号": g.rics(),
            "手机号": g.mobiles(),
            "电子邮箱": g.emails(),
            "家庭住址": g.addresses(),
            "银行卡号": g.cards(),
            "工作单位": work,
            "注册时间": joined,
            "会员等级": g.pick(["普通会员", "银卡会员", "金卡会员", "钻石会员"]),
        }
    )


def _product(g: _Gen) -> str:
    return " ".join([g.r.choice(BRANDS), g.r.choice(ITEMS), g.r.choice(SPECS)])


def _orders(g: _Gen) -> pl.DataFrame:
    f, rng, n = g.fake, g.rng, g.rows
    return pl.DataFrame(
        {
            "订单号": _each(g, g.order_no),
            "交易流水号": _each(g, g.bad_luhn),
            "下单时间戳": rng.integers(1_600_000_000_000, 1_750_000_000_000, n),
            "商品名称": _each(g, lambda: _product(g)),
            "数量": rng.integers(1, 10, n),
            "金额": np.round(rng.uniform(9.9, 9999, n), 2),
            "收货人": g.names(),
            "收货电话": g.mobiles(styled=False),
            "收货地址": g.addresses(),
            "店铺名称": [b + "官方旗舰店" for b in g.pick(BRANDS)],
            "标签": g.pool(f.word, 300),
            "备注": _each(g, g.remark),
        }
    )


def _vehicles(g: _Gen) -> pl.DataFrame:
    rng, n = g.rng, g.rows
    lat = np.round(rng.uniform(18.2, 53.5, n), 6)
    lng = np.round(rng.uniform(73.6, 134.7, n), 6)
    swap = rng.random(n) < 0.3  # AMap and others write "lng,lat"
    where = [
        f"{b:.6f},{a:.6f}" if s else f"{a:.6f},{b:.6f}"
        for a, b, s in zip(lat, lng, swap, strict=True)
    ]
    return pl.DataFrame(
        {
            "vin": _each(g, g.vin),
            "车牌号": _each(g, g.plate),
            "imei": _each(g, g.imei),
            "device_id": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)],
            "lat": lat,
            "lng": lng,
            "位置": where,
            "speed_kmh": np.round(rng.uniform(0, 120, n), 1),
            "ts": rng.integers(1_700_000_000_000, 1_720_000_000_000, n),
            "odometer_km": rng.integers(100, 300_000, n),
            "驾驶员": g.names(),
            "行驶状态": g.pick(["行驶", "停车", "熄火", "怠速"]),
            "tbox_mac": g.pool(g.fake.mac_address),
            "client_ip": g.ipv4(),
        }
    )


def _firms(g: _Gen) -> pl.DataFrame:
    f, rng, n = g.fake, g.rng, g.rows
    founded = [
        datetime.date(1990, 1, 1) + datetime.timedelta(days=int(d))
        for d in rng.integers(0, 12000, n)
    ]
    return pl.DataFrame(
        {
            "企业名称": g.pool(f.company),
            "统一社会信用代码": _each(g, g.uscc),
            "法定代表人": g.names(),
            "注册资本": [f"{v}万元人民币" for v in rng.integers(10, 10000, n)],
            "成立日期": [d.isoformat() for d in founded],
            "经营范围": g.pick(SCOPES),
            "注册地址": g.addresses(),
            "联系电话": _each(g, g.landline),
            "企业邮箱": g.pool(f.company_email),
            "官网": [f"https://www.{w}.com.cn" for w in g.pool(f.domain_word)],
            "所属行业": g.pick(INDUSTRIES),
        }
    )


def _travellers(g: _Gen) -> pl.DataFrame:
    rng, n = g.rng, g.rows
    r = g.r
    hmt = [
        ("H" if r.random() < 0.7 else "M") + _digits(r, 8 if r.random() < 0.8 else 10)
        for _ in range(n)
    ]
    return pl.DataFrame(
        {
            "姓名拼音": g.pool(g.en.name, 300),
            "护照号": [
                ("E" + _digits(r, 8))
                if r.random() < 0.7
                else "E" + PLATE_CHARS[r.randrange(24)] + _digits(r, 7)
                for _ in range(n)
            ],
            "回乡证号": hmt,
            "台胞证号": [_digits(r, 8) for _ in range(n)],
            "香港身份证": _each(g, g.hkid),
            "台湾身份证号": _each(g, g.twid),
            "qq": [str(v) for v in rng.integers(10_000, 3_999_999_999, n)],
            "微信号": g.pool(lambda: "wx_" + g.fake.user_name()),
            "登录密码": [rng.bytes(32).hex() for _ in range(n)],
            "过敏史": g.pick(ALLERGIES),
            "face_template": [rng.bytes(64) for _ in range(n)],
            "宗教信仰": g.pick(RELIGIONS),
            "账户余额": [f"{v:,.2f}" for v in rng.uniform(0, 500_000, n)],
            "登录IP": [a if r.random() < 0.7 else g.fake.ipv6() for a in g.ipv4()],
            "设备MAC": g.pool(g.fake.mac_address),
            "app_version": [f"{a}.{b}.{c}" for a, b, c in rng.integers(1, 20, (n, 3))],
            "会员积分": rng.integers(0, 100_000, n),
        }
    )


TABLES = {
    "customers": _customers,
    "orders": _orders,
    "vehicle_telemetry": _vehicles,
    "firm_register": _firms,
    "travellers": _travellers,
}


def make_table(name: str, rows: int = 1000, seed: int = 0) -> pl.DataFrame:
    """One synthetic table by name (see ``TABLES``); ``LABELS[name]`` holds its truth."""
    if name not in TABLES:
        raise InputError(f"make_table: unknown table {name!r}; valid tables: {', '.join(TABLES)}")
    if rows < 1:
        raise InputError(f"make_table: rows must be at least 1, got {rows}")
    return TABLES[name](_Gen(rows, seed))


def make_tables(rows: int = 1000, seed: int = 0) -> dict[str, pl.DataFrame]:
    """All five seeded synthetic tables (see ``LABELS`` for what each column holds)."""
    if rows < 1:
        raise InputError(f"make_tables: rows must be at least 1, got {rows}")
    g = _Gen(rows, seed)
    return {name: build(g) for name, build in TABLES.items()}
