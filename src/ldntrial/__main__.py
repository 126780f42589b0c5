from ldntrial.cli import run

run()
