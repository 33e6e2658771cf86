"""`meridian diff`: compare the synth outputs of two revisions, offline."""
