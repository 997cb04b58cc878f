"""The job engine: periodic sweeps and one-off deferred jobs, on arq (Redis).

A sweep is a function of `now` acting on durable state in the store, idempotently (conditional
updates, unique constraints), so running it twice, on two workers at once, late, or after a crash
does no harm and misses nothing: what is due as of `now` gets done. arq's cron runs each sweep on
its schedule once across all workers (`tawasol jobs worker`); `tawasol jobs run-due --as-of T` runs
every sweep for the moment T in process, so operators, tests and outside checks can move the clock.
A one-off job that no sweep fits (a citizen's erasure requested from elsewhere) is a deferred job.

Adding a sweep or a deferred job is one entry in `jobs/registry.py`.
"""
