"""Static checks of infra/ (Bicep, azure.yaml) that need no Bicep compiler and no Azure."""
