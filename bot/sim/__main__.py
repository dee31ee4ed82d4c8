"""``python -m bot.sim --port 8787``: the simulated relay in the foreground."""

from bot.sim.runner import main

main()
