"""The offline synth: run the program under recording mocks and write what it declares."""
