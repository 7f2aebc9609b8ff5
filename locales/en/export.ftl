## Export column headers

export-unit-code = Unit code
export-unit-path = Unit
export-period = Period
export-author = Submitted by
export-submitted-at = Submitted at
export-updated-at = Updated at
export-revision = Revision
export-labour = Labour and production
export-labour-note = Labour and production notes
export-living = Cultural and spiritual life
export-living-note = Living notes
export-thoughts = Thoughts and aspirations
export-thoughts-note = Thoughts notes
export-incident-count = Incidents
export-incidents = Emerging or prominent incidents
export-proposals = Proposals and recommendations
export-sheet-reports = Monthly reports
