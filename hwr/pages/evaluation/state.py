"""The Evaluation page's session state, named once: the confusion matrix's widgets and
the cell chosen in it."""

CM_CHART = "cm_chart"  # the confusion matrix chart (its selection: a clicked cell)
CM_NORMALIZE = "cm_normalize"  # the "Normalize per true digit" switch
CM_TRUE, CM_PRED = "cm_true", "cm_pred"  # the cell's two pickers: true and predicted digit
CELL_CLICKED = "hwr_cm_clicked"  # a chart click this run: bring the cell into view
COMPUTE = "compute"  # the "Compute the test results" button
