"""The conversation store: citizens, agencies, messages and their timelines, tickets, subscriptions,
the transaction registry.

    store = Store(settings.database_url)     # after store.migrate.upgrade(url)
    store.inbound.add(...)

Repositories are synchronous (SQLAlchemy 1.4 ORM); each method is one transaction. Async callers
run them in a thread (`asyncio.to_thread`) so the event loop never waits on the database.
"""

from __future__ import annotations

from store.agencies import AgencyRepository
from store.alerts import AlertRepository
from store.audit import AuditRepository
from store.backlog import BacklogRepository
from store.broadcasts import BroadcastRepository
from store.catalog import CatalogRepository
from store.citizens import CitizenRepository
from store.credit import CreditRepository
from store.curation import CuratedExamples
from store.dashboards import DashboardRepository
from store.database import Database
from store.conversations import ConversationBrowser, ConversationRepository
from store.erasure import ErasureRepository
from store.inbox import InboxActions, MissedInbox
from store.inbound import InboundRepository
from store.ledger import LedgerRepository
from store.model_registry import ModelRegistry
from store.model_switches import ModelSwitches
from store.outbound import OutboundRepository
from store.retention import RetentionRepository
from store.replies import ReplyRepository
from store.review import ReviewRepository
from store.sessions import SessionRepository, ThrottleRepository
from store.staff import StaffRepository
from store.staff_requests import StaffRequestRepository
from store.statuses import StatusRepository
from store.subscriptions import SubscriptionRepository
from store.tickets import TicketDesk, TicketRepository
from store.notification_outbox import NotificationOutbox
from store.training_runs import TrainingRuns
from store.transactions import TransactionRepository


class Store:
    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.citizens = CitizenRepository(self.db)
        # Messages along their seams: what citizens send, what we send, what providers say of it.
        self.inbound = InboundRepository(self.db)
        self.outbound = OutboundRepository(self.db)
        self.statuses = StatusRepository(self.db)
        self.conversations = ConversationRepository(self.db)
        self.tickets = TicketRepository(self.db)
        self.subscriptions = SubscriptionRepository(self.db)
        self.alerts = AlertRepository(self.db)  # records agencies feed, alert steps, violations
        self.review = ReviewRepository(self.db)
        self.agencies = AgencyRepository(self.db)
        self.catalog = CatalogRepository(self.db)  # services and their answers (catalog/records.py reads them)
        self.replies = ReplyRepository(self.db)  # the bot's own wording, live with the catalog
        self.credit = CreditRepository(self.db)  # agencies' message credit
        self.ledger = LedgerRepository(self.db)  # who pays: statements read it
        self.transactions = TransactionRepository(self.db)
        self.notifications = NotificationOutbox(self.db)  # what each step owes, until the job engine sends it
        # Citizens' data: texts past the retention period, and erasure on request.
        self.retention = RetentionRepository(self.db)
        self.erasure = ErasureRepository(self.db)
        self.backlog = BacklogRepository(self.db)
        # The staff console's: accounts, sessions and sign-in throttling (when not on Redis), the
        # audit log, and tickets and conversations as staff read and work them.
        self.staff = StaffRepository(self.db)
        self.sessions = SessionRepository(self.db)
        self.throttle = ThrottleRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.ticket_desk = TicketDesk(self.db)
        # The models workers may serve and which one is active (`tawasol model ...`).
        self.models = ModelRegistry(self.db)
        # Trainings asked for from the console (one at a time), and switch-ons awaiting a second admin.
        self.training_runs = TrainingRuns(self.db)
        self.model_switches = ModelSwitches(self.db, self.models)
        self.browser = ConversationBrowser(self.db)
        # Liaison officers' broadcasts, and their requests for credit and sender IDs.
        self.broadcasts = BroadcastRepository(self.db)
        self.requests = StaffRequestRepository(self.db)
        # The curation loop: missed messages waiting for staff, and the training data they curate.
        self.inbox = MissedInbox(self.db)
        self.inbox_actions = InboxActions(self.db)
        self.curation = CuratedExamples(self.db)
        # The dashboards' daily rollups and their reads (jobs/dashboards.py fills them).
        self.dashboards = DashboardRepository(self.db)

    def close(self) -> None:
        self.db.dispose()


__all__ = ["Store"]
