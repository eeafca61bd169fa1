"""The app's screens: one per area (org, roster, portfolio, retro), plus the project drill-down and dialogs."""
