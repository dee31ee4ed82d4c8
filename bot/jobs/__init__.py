"""Long-running relay jobs (Midjourney, Suno, Luma): tracking, progress, delivery.

Import from the submodules (``bot.jobs.tracker.JobTracker``, ``bot.jobs.outlets.ChatOutlet``):
this package file stays empty so :mod:`bot.core.context` can import :mod:`bot.jobs.bell`
without pulling in the tracker (which itself depends on the core).
"""
