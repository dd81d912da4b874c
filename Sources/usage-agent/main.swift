import ArgumentParser; import UsageAgent; import JSONLogging; print(1)
