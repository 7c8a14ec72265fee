using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddCanaries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CanaryIndex",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    Value = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryIndex", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CanaryJobs",
                columns: table => new
                {
                    Namespace = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    JobId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Stop = table.Column<bool>(type: "boolean", nullable: false),
                    CreateIndex = table.Column<long>(type: "bigint", nullable: false),
                    ModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    JobModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    SubmitTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryJobs", x => new { x.Namespace, x.JobId });
                });

            migrationBuilder.CreateTable(
                name: "CanaryAllocations",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: false),
                    EvalId = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: false),
                    Namespace = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    JobId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    JobVersion = table.Column<long>(type: "bigint", nullable: false),
                    TaskGroup = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    NodeId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NodeName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    DeploymentId = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: true),
                    Canary = table.Column<bool>(type: "boolean", nullable: false),
                    DesiredStatus = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DesiredDescription = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    ClientStatus = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ClientDescription = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Healthy = table.Column<bool>(type: "boolean", nullable: true),
                    HealthTimestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    StartsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SimulatedHealthy = table.Column<bool>(type: "boolean", nullable: true),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Tasks = table.Column<List<string>>(type: "text[]", nullable: false),
                    CreateIndex = table.Column<long>(type: "bigint", nullable: false),
                    ModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    CreateTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ModifyTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryAllocations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CanaryAllocations_CanaryJobs_Namespace_JobId",
                        columns: x => new { x.Namespace, x.JobId },
                        principalTable: "CanaryJobs",
                        principalColumns: new[] { "Namespace", "JobId" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CanaryDeployments",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: false),
                    Namespace = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    JobId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    JobVersion = table.Column<long>(type: "bigint", nullable: false),
                    JobModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    JobSpecModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    JobCreateIndex = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    StatusDescription = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    TaskGroups = table.Column<string>(type: "text", nullable: false),
                    Hosts = table.Column<List<string>>(type: "text[]", nullable: false),
                    Active = table.Column<bool>(type: "boolean", nullable: false),
                    NextCheckAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    WaitingSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreateIndex = table.Column<long>(type: "bigint", nullable: false),
                    ModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    CreateTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ModifyTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryDeployments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CanaryDeployments_CanaryJobs_Namespace_JobId",
                        columns: x => new { x.Namespace, x.JobId },
                        principalTable: "CanaryJobs",
                        principalColumns: new[] { "Namespace", "JobId" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CanaryJobVersions",
                columns: table => new
                {
                    Namespace = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    JobId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    SpecJson = table.Column<string>(type: "text", nullable: false),
                    Stable = table.Column<bool>(type: "boolean", nullable: false),
                    Stop = table.Column<bool>(type: "boolean", nullable: false),
                    CreateIndex = table.Column<long>(type: "bigint", nullable: false),
                    ModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    JobModifyIndex = table.Column<long>(type: "bigint", nullable: false),
                    SubmitTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryJobVersions", x => new { x.Namespace, x.JobId, x.Version });
                    table.ForeignKey(
                        name: "FK_CanaryJobVersions_CanaryJobs_Namespace_JobId",
                        columns: x => new { x.Namespace, x.JobId },
                        principalTable: "CanaryJobs",
                        principalColumns: new[] { "Namespace", "JobId" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "CanaryIndex",
                columns: new[] { "Id", "Value" },
                values: new object[] { 1, 1L });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryAllocations_DeploymentId",
                table: "CanaryAllocations",
                column: "DeploymentId");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryAllocations_Namespace_JobId_DesiredStatus",
                table: "CanaryAllocations",
                columns: new[] { "Namespace", "JobId", "DesiredStatus" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryAllocations_NodeId",
                table: "CanaryAllocations",
                column: "NodeId");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Active_NextCheckAt",
                table: "CanaryDeployments",
                columns: new[] { "Active", "NextCheckAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_CreateIndex",
                table: "CanaryDeployments",
                column: "CreateIndex");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_ModifyIndex",
                table: "CanaryDeployments",
                column: "ModifyIndex");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_CreateIndex",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "CreateIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "JobId", "CreateIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryJobs_ModifyIndex",
                table: "CanaryJobs",
                column: "ModifyIndex");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CanaryAllocations");

            migrationBuilder.DropTable(
                name: "CanaryDeployments");

            migrationBuilder.DropTable(
                name: "CanaryIndex");

            migrationBuilder.DropTable(
                name: "CanaryJobVersions");

            migrationBuilder.DropTable(
                name: "CanaryJobs");
        }
    }
}
