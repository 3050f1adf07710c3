from raif_eval.cli import main

main()
