"""The tables. Column names are plain on purpose: staff and analysts query them directly."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

from core.messages import utcnow
from store.types import JsonType, Money, UtcDateTime

# Deterministic constraint names, so Alembic migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Base = declarative_base(metadata=metadata)

DIRECTION_IN = "in"
DIRECTION_OUT = "out"


class Citizen(Base):
    __tablename__ = "citizens"

    id = Column(Integer, primary_key=True)
    preferred_language = Column(String(8))  # "ar" / "en" / None (not chosen yet)
    opted_out_at = Column(UtcDateTime)  # set by STOP: no pushes (answers to their own messages still go)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class ChannelIdentity(Base):
    """A way to reach a citizen. One phone number on WhatsApp and SMS belongs to one citizen."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_identities_channel_address"),)

    id = Column(Integer, primary_key=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    address = Column(String(32), nullable=False, index=True)  # digits, international form
    display_name = Column(String(256))
    last_inbound_at = Column(UtcDateTime)  # WhatsApp's 24-hour customer-service window starts here
    unreachable_at = Column(UtcDateTime)  # e.g. WhatsApp 131026: use SMS instead
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_citizen_activity", "citizen_id", "last_activity_at"),)

    id = Column(Integer, primary_key=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False)
    started_at = Column(UtcDateTime, nullable=False, default=utcnow)
    last_activity_at = Column(UtcDateTime, nullable=False, default=utcnow)
    last_channel = Column(String(16))


class Message(Base):
    """Every message in and out. The current `status` is here; its history is in message_status_events."""

    __tablename__ = "messages"
    __table_args__ = (
        # The durable dedupe: a provider redelivery cannot be stored twice. NULL provider ids (outbound
        # not sent yet) never collide, on SQLite and PostgreSQL alike.
        UniqueConstraint("channel", "direction", "provider_id", name="uq_messages_channel_direction_provider_id"),
        Index("ix_messages_citizen_direction_status", "citizen_id", "direction", "status"),
        Index("ix_messages_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_messages_deliver_by", "deliver_by"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id"), nullable=False, index=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False)
    direction = Column(String(3), nullable=False)  # "in" / "out"
    channel = Column(String(16), nullable=False)
    address = Column(String(32), nullable=False)
    provider_id = Column(String(128))
    kind = Column(String(32), nullable=False)  # inbound: text/choice/...; outbound: "reply" or a push kind
    text = Column(Text, nullable=False, default="")
    payload = Column(String(1024))  # inbound choice id
    raw = Column(JsonType)  # small provider extras of an inbound message
    body = Column(JsonType)  # outbound: the rendered provider payload
    reply = Column(JsonType)  # outbound: the BotReply it was rendered from (to re-render on another channel)
    reply_key = Column(String(36), index=True)  # outbound: shared by every part rendered from one BotReply
    choices = Column(JsonType)  # outbound: the choices offered (SMS menu numbers map back to these)
    intent = Column(String(128))
    confidence = Column(Float)
    service_id = Column(String(128))
    language = Column(String(16))
    status = Column(String(16), nullable=False)
    segments = Column(Integer)
    cost = Column(Money)
    # outbound: the router's decision (routing/router.py), so staff can see why a message went where it did
    sender = Column(String(32))  # the sender it goes out as (a short code, an agency's sender ID); NULL: the channel's own
    route_reason = Column(String(48))  # e.g. "reply_on_inbound_channel", "whatsapp_window_open", "fallback_after_failure"
    route_cause = Column(String(48))  # for a fallback: what failed on the channel before ("not_on_this_channel", ...)
    # outbound pushes on a channel that must confirm delivery: still not delivered at this time, the
    # push goes by the fallback channel instead (pipeline/delivery_fallbacks.py)
    deliver_by = Column(UtcDateTime)
    # set once, by whoever moved this message's reply to another channel (a failure, or deliver_by
    # passed): the conditional update that sets it is what lets only one worker send the fallback
    superseded_at = Column(UtcDateTime)
    reply_to_id = Column(Integer, ForeignKey("messages.id"), index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UtcDateTime)
    # outbound written by a person in the console (an agent's reply during a handoff); NULL: the bot's
    staff_id = Column(Integer, ForeignKey("staff_users.id"))
    # Set when the text and personal fields were removed (retention or a citizen's erasure request);
    # the row stays, so counts by channel, kind, segments and cost still add up.
    redacted_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Agency(Base):
    """A government body that reaches citizens through Tawasol. Its id is the prefix of its services
    in the catalog (`cspd` for `cspd.passport_renew`), so catalog rows, API keys and the ledger all
    name it the same way."""

    __tablename__ = "agencies"

    id = Column(String(32), primary_key=True)
    name_ar = Column(String(256), nullable=False)
    name_en = Column(String(256), nullable=False)
    # Seed 000: an independent body pays all of its messages; the others share some with the ministry.
    independent = Column(Boolean, nullable=False, default=False)
    sms_sender_ids = Column(JsonType, nullable=False, default=list)  # sender IDs it may send SMS under
    liaison_name = Column(String(256))
    liaison_phone = Column(String(32))  # digits, international form
    liaison_email = Column(String(256))
    # Messages it may still send (store/credit.py); NULL: no cap. Urgent messages (transaction
    # status) may take it below zero: the next top-up pays that back.
    message_credit = Column(Integer)
    credit_granted = Column(Integer)  # the credit at the last top-up: 80% and 100% are of this
    credit_alerted = Column(Integer, nullable=False, default=0, server_default="0")  # highest alert (0, 80, 100) since then
    # Qassim's rule: a transaction forwarded to another body with no reply for this many days is
    # escalated to its manager (a transaction may set its own period).
    escalate_after_days = Column(Integer, nullable=False, default=10, server_default="10")
    # An agency that keeps its own transaction system: where citizens' status questions are asked
    # (actions/agency_backends.py); NULL: Tawasol's registry answers.
    lookup_url = Column(String(512))
    # The catalog's side of the agency (migration 0013): what citizens call it ("الاحوال", "ahwal"),
    # its public site and phone. NULL nicknames: none known.
    nicknames = Column(JsonType)
    website = Column(String(512))
    phone = Column(String(64))
    # When `tawasol agency add` (or the console) registered it; NULL: known from the catalog alone.
    registered_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CatalogService(Base):
    """One government service in the catalog: names, the answers per aspect in Arabic and English,
    and whether it is answered now (`pilot`) or only named ("not in this service yet").

    The answer columns carry the names of the import spreadsheet's columns (data/catalog/README.md)
    so an analyst reads one as the other; `description_*` is the overview answer."""

    __tablename__ = "services"

    id = Column(String(128), primary_key=True)  # "cspd.passport_renew": a contract, never renamed
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    name_ar = Column(Text, nullable=False, default="")
    name_en = Column(Text, nullable=False, default="")
    aliases = Column(JsonType, nullable=False, default=list)  # other names people use, either language
    generic_names = Column(JsonType, nullable=False, default=list)  # words shared with sibling services
    related = Column(JsonType, nullable=False, default=list)  # for a not-yet service: close catalog ids
    description_ar = Column(Text, nullable=False, default="")
    description_en = Column(Text, nullable=False, default="")
    fees_ar = Column(Text, nullable=False, default="")
    fees_en = Column(Text, nullable=False, default="")
    documents_ar = Column(Text, nullable=False, default="")
    documents_en = Column(Text, nullable=False, default="")
    steps_ar = Column(Text, nullable=False, default="")
    steps_en = Column(Text, nullable=False, default="")
    where_ar = Column(Text, nullable=False, default="")
    where_en = Column(Text, nullable=False, default="")
    duration_ar = Column(Text, nullable=False, default="")
    duration_en = Column(Text, nullable=False, default="")
    eligibility_ar = Column(Text, nullable=False, default="")
    eligibility_en = Column(Text, nullable=False, default="")
    url = Column(String(1024), nullable=False, default="")
    importance = Column(Integer)  # the ministry's rank (1 = most important); NULL: not ranked
    pilot = Column(Boolean, nullable=False, default=True)  # answered now; False: named as "not yet"
    verified = Column(Boolean, nullable=False, default=False)  # the agency confirmed the answers
    verified_by = Column(String(254))  # who marked it verified (an email, or "cli" for an import)
    verified_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CatalogGeneration(Base):
    """One row (id 1): bumped in the same transaction as every change to the catalog, so every
    process sees a change by reading one integer (actions/catalog_access.py, at most once a second)."""

    __tablename__ = "catalog_generation"

    id = Column(Integer, primary_key=True)
    generation = Column(Integer, nullable=False, default=0)
    changed_at = Column(UtcDateTime, nullable=False, default=utcnow)


class CreditAlert(Base):
    """A record that an agency's message credit reached 80% or 100% of its last top-up, and how
    its liaison officer was told (the SMS, if one could be sent)."""

    __tablename__ = "credit_alerts"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    threshold = Column(Integer, nullable=False)  # 80 or 100 (percent of credit_granted used)
    credit_granted = Column(Integer, nullable=False)
    remaining = Column(Integer, nullable=False)
    message_id = Column(Integer, ForeignKey("messages.id"))  # the SMS to the liaison officer; NULL: none sent
    note = Column(String(256))  # why no SMS went, when none did
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class ApiKey(Base):
    """A key an agency's systems call the API with. Only a hash is kept: the key itself is shown
    once, when made. `prefix` is the key's public start, to name it when revoking."""

    __tablename__ = "api_keys"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    prefix = Column(String(32), nullable=False, unique=True)
    key_hash = Column(String(64), nullable=False)  # SHA-256 hex of the whole key
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    last_used_at = Column(UtcDateTime)
    revoked_at = Column(UtcDateTime)


class LedgerEntry(Base):
    """What one outbound message costs and who pays (routing/billing.py), written with the message.

    Amounts are NULL on a channel these rules do not price (WhatsApp: Meta bills per conversation).
    `agency_id` names the body that sent a push (an `agencies.id`); NULL for the ministry's own
    messages."""

    __tablename__ = "ledger_entries"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=False, unique=True)
    agency_id = Column(String(32), index=True)
    body_type = Column(String(16))  # "government" / "independent": decides the shares (kept for a re-route)
    category = Column(String(32), nullable=False)  # "reply", "transaction_status", "awareness", ...
    channel = Column(String(16), nullable=False)
    segments = Column(Integer, nullable=False)
    unit_cost = Column(Money)
    amount = Column(Money)
    agency_share = Column(Money)
    ministry_share = Column(Money)
    citizen_share = Column(Money)  # a POP price charged to the citizen, beside the cost (routing/billing.py)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow, index=True)  # a statement's quarter


class MessageStatusEvent(Base):
    __tablename__ = "message_status_events"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    at = Column(UtcDateTime, nullable=False, default=utcnow)
    error_code = Column(String(64))
    error_title = Column(String(512))
    detail = Column(Text)


class Ticket(Base):
    __tablename__ = "tickets"
    # "Is this citizen held by an agent?" is asked for every inbound message.
    __table_args__ = (Index("ix_tickets_status_citizen_id", "status", "citizen_id"),)

    id = Column(Integer, primary_key=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "handoff" / "complaint"
    text = Column(Text, nullable=False, default="")
    service_id = Column(String(128))
    status = Column(String(16), nullable=False, default="open")  # "open" / "taken" / "closed"
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    assigned_staff_id = Column(Integer, ForeignKey("staff_users.id"))  # the agent who took it
    closed_at = Column(UtcDateTime)
    answered_at = Column(UtcDateTime)  # the first reply staff sent the citizen: waiting ends here


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("citizen_id", "topic", name="uq_subscriptions_citizen_id_topic"),)

    id = Column(Integer, primary_key=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False)
    topic = Column(String(128), nullable=False)  # an alert topic (catalog/alert_topics.py), or a service id
    active = Column(Boolean, nullable=False, default=True)
    # Who made the last change: "chat", "keyword" (an SMS keyword), or "agency" (the agency's
    # counter or a bank, through the API: `agency_id` says which).
    source = Column(String(16))
    agency_id = Column(String(32), ForeignKey("agencies.id"))
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class AlertRecord(Base):
    """A citizen's document as an agency fed it (`PUT /api/v1/records`): alerts go before it expires."""

    __tablename__ = "alert_records"
    __table_args__ = (
        UniqueConstraint("agency_id", "document_type", "document_number", name="uq_alert_records_agency_id"),
        Index("ix_alert_records_expires_on", "expires_on"),
    )

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False)
    document_type = Column(String(32), nullable=False)  # passport, id_card, driving_license, ...
    document_number = Column(String(64), nullable=False)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    expires_on = Column(Date, nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class AlertSchedule(Base):
    """An agency's own schedule for one document type: days before expiry (0: on the day). An
    agency without one gets the default (30, 7 and 0)."""

    __tablename__ = "alert_schedules"

    agency_id = Column(String(32), ForeignKey("agencies.id"), primary_key=True)
    document_type = Column(String(32), primary_key=True)
    days_before = Column(JsonType, nullable=False)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class AlertDelivery(Base):
    """One alert step of one record's expiry date, claimed (inserted) before it is sent: the unique
    constraint is what makes every worker and every restart send it at most once."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("record_id", "expires_on", "days_before", name="uq_alert_deliveries_record_id"),
        Index("ix_alert_deliveries_claim", "claim"),
    )

    id = Column(Integer, primary_key=True)
    record_id = Column(Integer, ForeignKey("alert_records.id"), nullable=False)
    expires_on = Column(Date, nullable=False)
    days_before = Column(Integer, nullable=False)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    claim = Column(String(32), nullable=False)  # the sweep run that claimed it
    claimed_at = Column(UtcDateTime, nullable=False, default=utcnow)
    sent_at = Column(UtcDateTime)
    outcome = Column(String(32))  # "sent", or why nothing went (opted_out, unreachable, ...)
    channel = Column(String(16))
    message_ids = Column(JsonType)


class TrafficViolation(Base):
    """A violation an agency recorded (`POST /api/v1/violations`): subscribers hear at once."""

    __tablename__ = "traffic_violations"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    plate = Column(String(32), nullable=False)
    occurred_at = Column(UtcDateTime, nullable=False)
    amount_jod = Column(Money, nullable=False)
    place = Column(String(200), nullable=False)
    outcome = Column(String(32))  # "sent", "not_subscribed", "opted_out", ...
    channel = Column(String(16))
    message_ids = Column(JsonType)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class UnrecognisedMessage(Base):
    """Messages the bot did not understand well, for staff review (and new training examples)."""

    __tablename__ = "unrecognised_messages"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=False, index=True)
    text = Column(Text, nullable=False, default="")
    language = Column(String(16))
    intent = Column(String(128))
    confidence = Column(Float)
    # Why it is here (store/review.py REASONS): the dialogue's flags, and the follow-ups the pipeline
    # notices ("not_what_i_asked", "handoff").
    reason = Column(String(32), nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    reviewed_at = Column(UtcDateTime)  # resolved: out of the open inbox
    # What staff made of it (store/curation.py): labelled / new_question / out_of_scope / dismissed;
    # NULL for one resolved on the older review page.
    resolution = Column(String(16))
    resolved_by = Column(Integer, ForeignKey("staff_users.id"))


class Transaction(Base):
    """A citizen's transaction at an agency, registered through the agency API (api/)."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("agency_id", "number", name="uq_transactions_agency_id_number"),
        Index("ix_transactions_state_clock", "state", "clock_started_at"),
    )

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False)
    number = Column(String(64), nullable=False)  # the agency's own reference, as the citizen sees it
    service_id = Column(String(128), nullable=False)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False, index=True)
    citizen_phone = Column(String(32), nullable=False)  # digits, international form
    language = Column(String(8))  # the language the agency said the citizen reads; NULL: ours to find
    registered_at = Column(UtcDateTime, nullable=False)
    assigned_employee_phone = Column(String(32))
    manager_phone = Column(String(32))
    escalate_after_days = Column(Integer)  # NULL: the agency's period
    state = Column(String(32), nullable=False)  # api/lifecycle.py
    clock_started_at = Column(UtcDateTime)  # set by `forwarded`, cleared by `reply_received`: the escalation clock
    clock_event_id = Column(Integer)  # the `forwarded` event that started the clock
    content_hash = Column(String(64), nullable=False)  # what the agency registered: a repeat must match
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class TransactionEvent(Base):
    """One step of a transaction (registration is the first). `notified_at` is set once every
    notification it owes has been handed to the outbox; NULL after a crash: the step is re-notified."""

    __tablename__ = "transaction_events"

    id = Column(Integer, primary_key=True)
    transaction_id = Column(Integer, ForeignKey("transactions.id"), nullable=False, index=True)
    type = Column(String(32), nullable=False)
    at = Column(UtcDateTime, nullable=False)  # when it happened, as the agency says
    note = Column(Text)
    destination = Column(String(256))
    document_number = Column(String(64))
    employee_phone = Column(String(32))  # `assigned`: the new employee
    notified_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class TransactionNotification(Base):
    """The link between a step and what it sent: each outbound message (its route and status are
    on `messages`), or why nothing was sent (`skipped`: opted out, unreachable)."""

    __tablename__ = "transaction_notifications"

    id = Column(Integer, primary_key=True)
    transaction_id = Column(Integer, ForeignKey("transactions.id"), nullable=False, index=True)
    event_id = Column(Integer, ForeignKey("transaction_events.id"), index=True)  # NULL: an escalation
    escalation_id = Column(Integer, ForeignKey("transaction_escalations.id"))
    recipient = Column(String(16), nullable=False)  # "citizen", "employee", "manager"
    message_id = Column(Integer, ForeignKey("messages.id"), index=True)
    skipped = Column(String(48))
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class TransactionEscalation(Base):
    """One escalation to the manager: at most one per transaction, clock and period, whichever
    worker gets there first (the unique constraint decides)."""

    __tablename__ = "transaction_escalations"
    __table_args__ = (
        UniqueConstraint(
            "transaction_id", "clock_event_id", "period", name="uq_transaction_escalations_transaction_id"
        ),
    )

    id = Column(Integer, primary_key=True)
    transaction_id = Column(Integer, ForeignKey("transactions.id"), nullable=False)
    clock_event_id = Column(Integer, nullable=False)  # the `forwarded` event whose clock ran out
    period = Column(Integer, nullable=False)  # 1 for the first period without a reply, 2 for the second...
    due_at = Column(UtcDateTime, nullable=False)
    sent_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class NotificationEntry(Base):
    """One notification owed: a step's (or an escalation's) message to one recipient, written in the
    same transaction as the step, sent later by the job engine. The key (transaction, step,
    recipient) is unique, and an entry turns into messages once: its claim is checked in the
    transaction that queues them (store/notification_outbox.py)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_outbox_key"),
        Index("ix_notification_outbox_status_id", "status", "id"),
    )

    id = Column(Integer, primary_key=True)
    key = Column(String(96), nullable=False)  # "t<transaction>:e<event>:<recipient>" or "t<transaction>:x<escalation>:manager"
    transaction_id = Column(Integer, ForeignKey("transactions.id"), nullable=False, index=True)
    event_id = Column(Integer, ForeignKey("transaction_events.id"))
    escalation_id = Column(Integer, ForeignKey("transaction_escalations.id"))
    recipient = Column(String(16), nullable=False)  # "citizen", "employee", "manager"
    status = Column(String(16), nullable=False, default="pending")  # pending, done
    claim = Column(String(32))  # the token of the worker turning it into messages now
    claimed_at = Column(UtcDateTime)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    done_at = Column(UtcDateTime)


class IdempotencyKey(Base):
    """An agency's Idempotency-Key and the answer it got: a retry gets the same answer, and a key
    reused for another request is refused."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("agency_id", "key", name="uq_idempotency_keys_agency_id_key"),)

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False)
    key = Column(String(255), nullable=False)
    request_hash = Column(String(64), nullable=False)  # method, path and body
    status_code = Column(Integer, nullable=False)
    response = Column(JsonType, nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class AgencyOptOut(Base):
    """A citizen who asked to hear nothing more from one agency ("STOP CSPD"), transaction
    notifications included; a plain STOP leaves those going."""

    __tablename__ = "agency_opt_outs"
    __table_args__ = (UniqueConstraint("citizen_id", "agency_id", name="uq_agency_opt_outs_citizen_id"),)

    id = Column(Integer, primary_key=True)
    citizen_id = Column(Integer, ForeignKey("citizens.id"), nullable=False)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
class Erasure(Base):
    """A citizen's request to be forgotten, carried out (`tawasol citizen forget`).

    The number itself is never stored: `reference` is its mask (enough for a data-protection officer
    to match a request letter by the last digits), and the counts say what was erased."""

    __tablename__ = "erasures"

    id = Column(Integer, primary_key=True)
    reference = Column(String(32), nullable=False, index=True)
    citizens = Column(Integer, nullable=False)
    identities = Column(Integer, nullable=False)
    messages = Column(Integer, nullable=False)
    tickets = Column(Integer, nullable=False)
    subscriptions = Column(Integer, nullable=False)
    review_rows = Column(Integer, nullable=False)
    redis_keys = Column(Integer)  # NULL: Redis was not reachable from the erasing process (or not used)
    erased_at = Column(UtcDateTime, nullable=False, default=utcnow)


class StaffUser(Base):
    """A person who signs in to the console. `agency_id` is set for liaison officers and agents (their
    agency) and NULL for ministry admins. A user made with a setup link has no password until the
    link is used; only hashes of the password (argon2) and of the link's token (SHA-256) are kept."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)  # lowercased
    role = Column(String(32), nullable=False)  # "ministry_admin" / "liaison_officer" / "agent"
    agency_id = Column(String(32), ForeignKey("agencies.id"), index=True)
    password_hash = Column(String(256))
    setup_token_hash = Column(String(64), unique=True)
    setup_expires_at = Column(UtcDateTime)
    active = Column(Boolean, nullable=False, default=True)
    password_changed_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class StaffSession(Base):
    """A console session (when sessions are not on Redis). The cookie carries a random token; only
    its SHA-256 is the key here, so a copy of the table signs nobody in. A visitor who has not
    signed in has a session too (staff_id NULL): it carries the CSRF token of the sign-in form."""

    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)  # SHA-256 hex of the cookie's token
    staff_id = Column(Integer, ForeignKey("staff_users.id"), index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UtcDateTime, nullable=False, default=utcnow, index=True)


class SignInThrottle(Base):
    """Sign-in attempts counted per key ("ip:<address>" for the rate limit, "email:<address>" for
    the lockout) within a window, shared by every process through the database."""

    __tablename__ = "sign_in_throttle"

    key = Column(String(300), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    window_started_at = Column(UtcDateTime, nullable=False)
    locked_until = Column(UtcDateTime)


class AuditEntry(Base):
    """One change made by a person (or by the command line): who, when, what, before and after.

    Append-only: the store has no update or delete path for it, and the migration adds triggers
    that refuse UPDATE and DELETE on SQLite and PostgreSQL."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id = Column(Integer, primary_key=True)
    at = Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    actor_id = Column(Integer, ForeignKey("staff_users.id"), index=True)  # NULL: the command line or the system
    actor = Column(String(254), nullable=False)  # the email, or "cli" / "system": readable after a user is gone
    action = Column(String(64), nullable=False, index=True)  # "staff.add", "ticket.close", ...
    target_type = Column(String(32), nullable=False)
    target_id = Column(String(128), nullable=False)
    agency_id = Column(String(32), index=True)  # the agency the change concerns, for filtering
    before = Column(JsonType)
    after = Column(JsonType)


class Model(Base):
    """A trained model archive that workers may serve (`tawasol model list`): who trained it, from
    which training data, and how it scored."""

    __tablename__ = "models"

    id = Column(String(200), primary_key=True)  # the archive's name without .tar.gz
    path = Column(String(1000), nullable=False)
    trained_at = Column(UtcDateTime, nullable=False)
    trained_by = Column(String(200), nullable=False)
    data_hash = Column(String(64))  # SHA-256 of config, domain and training data; NULL: not known
    scores = Column(JsonType)  # held-out scores, when measured
    registered_at = Column(UtcDateTime, nullable=False, default=utcnow)
    # The exact files it was trained from (config, domain, NLU data, curated examples), packed: its
    # hash is data_hash. NULL: trained outside the console's training job.
    snapshot_path = Column(String(1000))


class ModelActivation(Base):
    """Each switch of the served model, in order: the newest row not rolled back is the active model,
    and its id is the generation workers compare between messages. A rollback marks the newest row,
    so the one before it is active again."""

    __tablename__ = "model_activations"

    id = Column(Integer, primary_key=True)
    model_id = Column(String(200), ForeignKey("models.id"), nullable=False, index=True)
    activated_at = Column(UtcDateTime, nullable=False, default=utcnow)
    activated_by = Column(String(200), nullable=False)
    rolled_back_at = Column(UtcDateTime)


class Broadcast(Base):
    """A liaison officer's manual push to many citizens (store/broadcasts.py). `status` moves
    draft -> awaiting_approval -> scheduled -> sending <-> paused -> done, or to cancelled, each
    step one conditional UPDATE so two staff (or a worker and a staff member) never both win."""

    __tablename__ = "broadcasts"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    title = Column(String(128), nullable=False, default="")
    text_ar = Column(Text, nullable=False, default="")
    text_en = Column(Text, nullable=False, default="")
    template = Column(String(128))  # the WhatsApp template used outside the 24-hour window
    category = Column(String(32), nullable=False)  # routing/billing.py MessageKind: who pays
    recipients_source = Column(String(16), nullable=False)  # "csv" / "topic" / "asked"
    recipients_spec = Column(JsonType)  # the topic, or the service and date range (CSV numbers go to broadcast_recipients)
    send_at = Column(UtcDateTime)
    status = Column(String(24), nullable=False, default="draft")
    reason = Column(String(512))  # why it was refused or stopped, for the console
    created_by = Column(Integer, ForeignKey("staff_users.id"))
    approved_by = Column(Integer, ForeignKey("staff_users.id"))
    recipients_count = Column(Integer, nullable=False, default=0)  # after opt-outs and duplicates
    excluded_count = Column(Integer, nullable=False, default=0)  # opted out, duplicate or not a number
    segments_ar = Column(Integer, nullable=False, default=1)
    segments_en = Column(Integer, nullable=False, default=1)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class BroadcastRecipient(Base):
    """One citizen of a broadcast. `state`: queued -> sending (claimed by one worker) -> sent /
    fell_back_sms / failed / skipped; delivered comes from the message's own status."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "phone", name="uq_broadcast_recipients_broadcast_id_phone"),
        Index("ix_broadcast_recipients_broadcast_state", "broadcast_id", "state", "id"),
    )

    id = Column(Integer, primary_key=True)
    broadcast_id = Column(Integer, ForeignKey("broadcasts.id"), nullable=False)
    phone = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False, default="ar")
    state = Column(String(16), nullable=False, default="queued")
    citizen_id = Column(Integer)
    message_id = Column(Integer)  # the first outbound message (messages.id) sent to this recipient
    channel = Column(String(16))
    provider_id = Column(String(128))
    error = Column(String(128))
    claimed_at = Column(UtcDateTime)
    sent_at = Column(UtcDateTime)


class BroadcastPolicy(Base):
    """The ministry's rules for every broadcast: one row (id 1)."""

    __tablename__ = "broadcast_policy"

    id = Column(Integer, primary_key=True)
    approval_threshold = Column(Integer)  # broadcasts above this many recipients need a ministry admin; NULL: never
    quiet_start = Column(String(5), nullable=False, default="21:00")  # no promotional messages from...
    quiet_end = Column(String(5), nullable=False, default="08:00")  # ...until, local time
    timezone = Column(String(64), nullable=False, default="Asia/Amman")
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CreditRequest(Base):
    """A liaison officer's request for more message credit; a ministry admin decides."""

    __tablename__ = "credit_requests"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    amount = Column(Integer, nullable=False)
    reason = Column(String(1024), nullable=False, default="")
    status = Column(String(16), nullable=False, default="pending")  # pending / approved / declined
    requested_by = Column(Integer, ForeignKey("staff_users.id"))
    decided_by = Column(Integer, ForeignKey("staff_users.id"))
    decided_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class SenderIdRequest(Base):
    """A liaison officer's request for a new SMS sender ID; a ministry admin decides."""

    __tablename__ = "sender_id_requests"

    id = Column(Integer, primary_key=True)
    agency_id = Column(String(32), ForeignKey("agencies.id"), nullable=False, index=True)
    sender_id = Column(String(11), nullable=False)  # alphanumeric sender IDs are at most 11 characters
    reason = Column(String(1024), nullable=False, default="")
    status = Column(String(16), nullable=False, default="pending")
    requested_by = Column(Integer, ForeignKey("staff_users.id"))
    decided_by = Column(Integer, ForeignKey("staff_users.id"))
    decided_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class TrainingExample(Base):
    """A training example staff gave: a missed message labelled in the inbox, or one written on the
    intents page. `held_out` ones (a fixed tenth of labelled messages) are never trained on: a new
    model is compared on them (store/curation.py)."""

    __tablename__ = "training_examples"

    id = Column(Integer, primary_key=True)
    intent = Column(String(128), nullable=False)
    text = Column(Text, nullable=False)
    normalized = Column(Text, nullable=False, default="")  # what the model reads (nlu/model_text.py)
    service_id = Column(String(128))
    source = Column(String(16), nullable=False)  # "inbox" / "console"
    message_id = Column(Integer, ForeignKey("messages.id"), index=True)
    created_by = Column(Integer, ForeignKey("staff_users.id"))
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    held_out = Column(Boolean, nullable=False, default=False)


class IntentChange(Base):
    """One curated change to the training data, applied in id order when the training snapshot is
    built: an example added (or held out), an example moved, an intent renamed or merged."""

    __tablename__ = "intent_changes"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # add / hold / move / rename / merge
    example_id = Column(Integer, ForeignKey("training_examples.id"))
    text = Column(Text)  # the example moved
    from_intent = Column(String(128))
    to_intent = Column(String(128), nullable=False)
    created_by = Column(Integer, ForeignKey("staff_users.id"))
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)

class TrainingRun(Base):
    """A model training asked for from the console (store/training_runs.py): its progress and log as
    the job engine runs it. `slot` is 1 while queued or running and NULL after: its unique
    constraint is what lets one run at a time, on every database."""

    __tablename__ = "training_runs"

    id = Column(Integer, primary_key=True)
    requested_by = Column(String(200), nullable=False)
    requested_by_id = Column(Integer, ForeignKey("staff_users.id"))
    requested_at = Column(UtcDateTime, nullable=False, default=utcnow)
    started_at = Column(UtcDateTime)
    finished_at = Column(UtcDateTime)
    heartbeat_at = Column(UtcDateTime)  # the last log line: a run silent for long was abandoned
    status = Column(String(16), nullable=False, default="queued")  # queued / running / succeeded / failed
    step = Column(String(200), nullable=False, default="")
    progress = Column(Integer, nullable=False, default=0)  # percent
    log = Column(Text, nullable=False, default="")
    model_id = Column(String(200))  # the model it made
    error = Column(String(1000))
    slot = Column(Integer, unique=True)


class ModelSwitchRequest(Base):
    """Switching on a model whose comparison shows a regression, asked by one admin; it is switched
    on only when a different admin confirms (store/model_switches.py)."""

    __tablename__ = "model_switch_requests"

    id = Column(Integer, primary_key=True)
    model_id = Column(String(200), ForeignKey("models.id"), nullable=False, index=True)
    requested_by = Column(String(200), nullable=False)
    requested_by_id = Column(Integer, ForeignKey("staff_users.id"))
    requested_at = Column(UtcDateTime, nullable=False, default=utcnow)
    reason = Column(String(1000), nullable=False, default="")  # the regressions, as the comparison named them
    confirmed_by = Column(String(200))
    confirmed_by_id = Column(Integer, ForeignKey("staff_users.id"))
    confirmed_at = Column(UtcDateTime)

class DashboardDaily(Base):
    """One number of one Amman day for the dashboards (store/dashboards.py): `metric` names the chart
    ("messages", "outcomes", "services", ...), `key1`/`key2` the bar or line within it ('' when
    unused), `agency_id` the agency it belongs to ('' for the ministry's own). A day's rows are
    replaced as a whole by the rollup job, so re-rolling a day never counts twice."""

    __tablename__ = "dashboard_daily"
    __table_args__ = (Index("ix_dashboard_daily_agency_metric_day", "agency_id", "metric", "day"),)

    # Key order: a chart reads one metric over a range of days.
    metric = Column(String(16), primary_key=True)
    day = Column(Date, primary_key=True)
    agency_id = Column(String(32), primary_key=True)
    key1 = Column(String(200), primary_key=True)
    key2 = Column(String(32), primary_key=True)
    count = Column(BigInteger, nullable=False)
    amount_micro = Column(BigInteger, nullable=False)  # millionths of a JOD (cost rows), else 0
    share_micro = Column(BigInteger, nullable=False)  # the agency's share of it, millionths of a JOD


class DashboardRollupDay(Base):
    """A day whose rows in dashboard_daily are complete as of `rolled_at` (days absent here are
    counted live from the messages table, as today always is)."""

    __tablename__ = "dashboard_rollup_days"

    day = Column(Date, primary_key=True)
    rolled_at = Column(UtcDateTime, nullable=False)
    messages = Column(BigInteger, nullable=False)  # how many messages the day had when rolled


# Range reads of a day (the rollup job) or of today so far (the dashboards' live part), migration 0022.
Index("ix_messages_created_at", Message.created_at)
Index("ix_unrecognised_messages_created_at", UnrecognisedMessage.created_at)
Index("ix_tickets_created_at", Ticket.created_at)

class BotReplyText(Base):
    """The bot's own wording (greetings, menus, fallbacks, notifications), one row per key of
    data/replies.yml, which seeds the keys missing here at start-up. Staff edit it in the console;
    every edit bumps the catalog's generation in the same transaction, so every process answers
    with the new text within about a second (catalog/live.py)."""

    __tablename__ = "bot_replies"

    key = Column(String(64), primary_key=True)
    text_ar = Column(Text, nullable=False, default="")
    text_en = Column(Text, nullable=False, default="")
    updated_by = Column(String(254))  # who last edited it; NULL: as seeded
    updated_at = Column(UtcDateTime, nullable=False, default=utcnow)
