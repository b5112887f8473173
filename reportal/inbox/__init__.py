"""The analysts' inbox on the hotline's premises: drain the queue, store, list, export."""
