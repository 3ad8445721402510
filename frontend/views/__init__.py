"""One module per page; each view reads summaries and calls the plain functions in posture/."""
