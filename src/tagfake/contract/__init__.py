"""The contracts the server runs on: spec loading and compiled validators."""
