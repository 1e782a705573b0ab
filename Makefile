.PHONY: bench bench-quick

# The benchmark suite (bench/suite.sh), on a release build; writes bench/RESULTS.md.
bench:
	swift build -c release
	bash bench/suite.sh

bench-quick:
	swift build -c release
	QUICK=1 bash bench/suite.sh
