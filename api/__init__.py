"""The agency API (`/api/v1`): agencies register their citizens' transactions and steps, each step
notifies the citizen, managers hear of transactions stuck at another body. Mounted by bot/app.py."""
