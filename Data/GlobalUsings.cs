// The fleet's OperatingSystem entity, not System.OperatingSystem, wherever this project says OperatingSystem:
// the generated compiled model (CompiledModels/) names it unqualified beside the implicit `using System`.
global using OperatingSystem = Dashboard.Data.Fleet.OperatingSystem;
