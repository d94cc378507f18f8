"""The stable info-type ids (ARCHITECTURE.md), each with a one-line description.

Ids may be added but never renamed: reports, packs and activity files refer to them. Packs,
recognizers and policy files validate the ids they name against ``INFO_TYPES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class InfoType:
    """One info type: its stable id and what it means, in English and Chinese."""

    id: str
    en: str
    zh: str


_ALL = (
    InfoType("PERSON_NAME", "Personal name (Chinese or Latin script)", "个人姓名"),
    InfoType("CN_RESIDENT_ID", "PRC resident identity card number (18 or 15 digits)",
             "居民身份证号码"),
    InfoType("CN_MOBILE_PHONE", "Mainland China mobile phone number", "手机号码"),
    InfoType("CN_LANDLINE_PHONE", "Mainland China landline number with area code", "固定电话号码"),
    InfoType("EMAIL_ADDRESS", "E-mail address", "电子邮件地址"),
    InfoType("BANK_CARD_NUMBER", "Bank card number (16-19 digits, Luhn)", "银行卡号"),
    InfoType("CN_USCC", "Unified social credit code of an organisation", "统一社会信用代码"),
    InfoType("CN_PASSPORT", "PRC passport number", "中国护照号码"),
    InfoType("CN_HMT_PERMIT", "Mainland travel permit for Hong Kong, Macao or Taiwan residents",
             "港澳台居民来往内地通行证号码"),
    InfoType("HK_ID_CARD", "Hong Kong identity card number", "香港身份证号码"),
    InfoType("TW_ID_CARD", "Taiwan identity card number", "台湾身份证号码"),
    InfoType("CN_LICENSE_PLATE", "Mainland China vehicle licence plate", "机动车号牌"),
    InfoType("VIN", "Vehicle identification number (17 characters)", "车辆识别代号"),
    InfoType("IMEI", "Mobile device IMEI", "移动设备国际识别码"),
    InfoType("MAC_ADDRESS", "Network interface MAC address", "MAC 地址"),
    InfoType("IP_ADDRESS", "IPv4 or IPv6 address", "IP 地址"),
    InfoType("GPS_COORDINATE", "Precise latitude/longitude position", "经纬度坐标（精确位置）"),
    InfoType("ADDRESS", "Postal address", "通讯地址、住址"),
    InfoType("DATE_OF_BIRTH", "Date of birth", "出生日期"),
    InfoType("ORGANIZATION", "Organisation name (not personal information)", "机构名称"),
    InfoType("GENDER", "Sex or gender", "性别"),
    InfoType("ETHNICITY", "Ethnic group (one of the 56 民族)", "民族"),
    InfoType("RELIGION", "Religious belief", "宗教信仰"),
    InfoType("HEALTH_INFO", "Health, medical or physiological information", "健康生理、医疗信息"),
    InfoType("BIOMETRIC", "Biometric data (face, fingerprint, voiceprint, iris ...)",
             "生物识别信息"),
    InfoType("CREDENTIAL", "Password, PIN, token or other authentication secret",
             "口令、密钥等鉴别信息"),
    InfoType("DEVICE_ID", "Device identifier (IDFA, Android ID, serial ...)", "设备标识符"),
    InfoType("FINANCIAL_ACCOUNT_INFO", "Financial account data (account number, balance ...)",
             "金融账户信息"),
    InfoType("WECHAT_ID", "WeChat account id", "微信号"),
    InfoType("QQ_NUMBER", "QQ account number", "QQ 号"),
)

INFO_TYPES: Mapping[str, InfoType] = MappingProxyType({t.id: t for t in _ALL})
"""Every stable info-type id, in the ARCHITECTURE.md order, mapped to its description."""
