using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class CanaryFilterIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex",
                table: "CanaryDeployments");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_JobId_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "JobId", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "JobId", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_Status_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "Status", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Status_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Status", "CreateIndex", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_JobId_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_Status_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Status_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "JobId", "CreateIndex" });
        }
    }
}
