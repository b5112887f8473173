"""The analysts' workbench: accounts, the web application (`create_app`) and its pages."""
