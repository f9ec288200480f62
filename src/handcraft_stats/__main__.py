from handcraft_stats.cli import main

main()
