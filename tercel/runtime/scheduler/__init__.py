"""Trigger evaluation: Schedule (cron), Flow (upstream state changes) and Webhook triggers.

The trigger and condition *declarations* are the model's (`tercel.plugins.core.trigger`,
`tercel.plugins.core.condition`); this package decides when they fire.
"""

from __future__ import annotations
