"""The SMS channel: SMPP 3.4 to the telecom's SMSC on the government short code.

`SmsChannel` (handler.py) is the channel, built from `SmsConfig` (config.py). Pure parts, one job
each: gsm7, segments, udh, decoding, reassembly, receipts, render, mo_identity, addresses.
"""
