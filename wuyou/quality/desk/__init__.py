"""The complaint desk on the web and the API (R-G3): the agent's screen on a complaint request, the disposition,
the service manager's approval, the rectification plan and the complaints list."""
