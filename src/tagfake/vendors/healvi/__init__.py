"""healvi (voicebot.studio "Client API"): read a profile, sync its tags by id or title."""
