"""`tagfake proxy`: the vendor's spec checked around a forwarded call instead of a backend.

The app talks to tagfake; each request is checked against the vendor's spec, forwarded unchanged
to the upstream (the vendor's sandbox), its answer checked and handed back unchanged, with what
broke the spec in `X-Tagfake-Violations` and the journal. Optional: a shadow tagfake answering
the same requests from its own state (`--shadow`), and a HAR recording (`--record`)."""
