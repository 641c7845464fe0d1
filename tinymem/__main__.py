from tinymem.cli import main

main()
