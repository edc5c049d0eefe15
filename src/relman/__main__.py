from relman.cli import run

run()
