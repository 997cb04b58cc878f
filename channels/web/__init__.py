"""The browser simulator: a person chats with the bot as a citizen would on WhatsApp or SMS."""
