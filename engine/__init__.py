"""teamcast.engine: the headless core (plan model, storage, simulation driver, CLI); never imports Textual."""
