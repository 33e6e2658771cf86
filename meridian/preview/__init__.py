"""`meridian preview-summary`: `pulumi preview --json` of every stack as one pull-request comment."""
