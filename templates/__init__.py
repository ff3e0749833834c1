"""Excel and jinja2 templates shipped with perfscore (installed as perfscore.templates)."""
