"""Partner statistics: figures per portal and month (`figures`), and their JSON/CSV/HTML forms (`report`)."""
