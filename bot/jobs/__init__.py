"""Long-running relay jobs (Midjourney, Suno, Luma): tracking, progress, delivery.

This layer sits above :mod:`bot.core` and below :mod:`bot.commands`; the tracker waits on
the core's :class:`bot.core.bell.TrackerBell` (relay callbacks, cancels, MODAL answers).
Each vendor is one module in :mod:`bot.jobs.kinds`, registered in ``KINDS``.
"""
