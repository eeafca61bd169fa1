"""Looking back: recording outcomes, calibration scores, the team retro, and the reports."""
