using Catalyst.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(TestDatabase))]
