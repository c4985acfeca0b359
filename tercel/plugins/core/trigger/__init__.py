"""Core triggers (Kestra §7): Schedule, ScheduleOnDates, Flow, Webhook, http.Trigger, Toggle."""

from __future__ import annotations
