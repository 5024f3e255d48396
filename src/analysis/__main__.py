from analysis.cli import main

if __name__ == "__main__":  # the batch's worker processes import this module again (spawn)
    raise SystemExit(main())
