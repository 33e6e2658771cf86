"""Checks over the synth output (pure functions of a Plan): failure domains, and more in later work."""
