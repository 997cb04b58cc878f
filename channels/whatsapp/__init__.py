"""The WhatsApp Cloud API channel: receive (webhook), send (sender) and status, nothing else.

`WhatsAppChannel` (channel.py) is the channel, built from `WhatsAppConfig` (config.py). Its parts:
webhook (the FastAPI routes Meta calls), parse (a webhook body → messages and statuses), render
(replies → Cloud API payloads), sender (the Graph API client), errors (what an error code means),
templates (approved templates by notification kind), window (the 24-hour customer service window).
"""
