from surgiai.cli import app

app(prog_name="surgiai")
