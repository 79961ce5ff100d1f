"""One package per faked vendor: its rules (backend), its wire shape (envelope), its handlers."""
