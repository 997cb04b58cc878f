"""The SMS channel: SMPP 3.4 to the telecom's SMSC on the government short code.

Entry points: `SmsChannel` (handler.py) and `SmsConfig` (config.py). Pure parts, one job each:
gsm7, segments, udh, decoding, reassembly, receipts, render, mo_identity, addresses.
"""

from channels.sms.config import SmsConfig
from channels.sms.handler import SmsChannel

__all__ = ["SmsChannel", "SmsConfig"]
