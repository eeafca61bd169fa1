"""The plan and where it is kept: the data model, plan files, validation, the workspace, importers, the calendar."""
