"""Faithful fakes of the external services Tawasol talks to, run as real servers in development,
tests and benchmarks (e.g. `whatsapp_graph`: Meta's WhatsApp Cloud API)."""
