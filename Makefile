.PHONY: bench bench-quick bench-remote

# The benchmark suite (bench/suite.sh), on a release build; writes bench/RESULTS.md.
bench:
	swift build -c release --static-swift-stdlib
	bash bench/suite.sh

bench-quick:
	swift build -c release --static-swift-stdlib
	QUICK=1 bash bench/suite.sh

# Push and clone against a throwaway Ceph RGW on 127.0.0.1 (bench/remote.sh), against
# `aws s3 sync`; writes bench/RESULTS-remote.md.
bench-remote:
	swift build -c release --static-swift-stdlib
	bash bench/remote.sh
